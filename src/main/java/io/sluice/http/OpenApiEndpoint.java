package io.sluice.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;

/**
 * {@code GET /openapi}: the OpenAPI 3.1 document describing this API, {@value #RESOURCE} on the class path,
 * loaded once when the verticle starts. A test keeps it and the router in step.
 */
final class OpenApiEndpoint {
  static final String RESOURCE = "openapi/sluice.json";
  private final Buffer document;

  OpenApiEndpoint(Buffer document) {
    this.document = document;
  }

  void mount(Router router) {
    router.get("/openapi").handler(ctx -> ctx.response()
        .putHeader("Content-Type", MediaTypes.JSON)
        .end(document));
  }
}
