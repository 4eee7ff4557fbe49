package io.sluice.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Request bodies of the routes broker services add (Kafka Connect's API, streams), read by the API's own strict
 * parser ({@link StrictJson}): a duplicate key or a lone surrogate is refused, never silently dropped or changed.
 */
public final class RequestBodies {
  private RequestBodies() {
  }

  /**
   * The body's JSON object, or null when the body is empty (each route says what it needs); 400 MALFORMED_REQUEST
   * naming what was wrong when it is not JSON, another JSON value, or holds a duplicate key or a lone surrogate.
   */
  public static JsonObject jsonObjectOrNull(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().length() <= 0) {
      return null;
    }
    JsonObject parsed = JsonBodies.parsed(ctx);
    if (parsed != null) {
      return parsed;
    }
    return StrictJson.parseObject(ctx.body().buffer(), "Request body");
  }
}
