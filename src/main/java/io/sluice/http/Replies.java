package io.sluice.http;

import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Small helpers to read JSON bodies and answer with JSON, shared by the endpoints. */
final class Replies {
  private Replies() {
  }

  /** Answers {@code status} with {@code body} (a JsonObject or JsonArray) as {@link MediaTypes#KAFKA_V2_JSON}. */
  static void json(RoutingContext ctx, int status, Object body) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      return;
    }
    Buffer encoded = body instanceof JsonObject o ? o.toBuffer()
        : body instanceof JsonArray a ? a.toBuffer() : Json.encodeToBuffer(body);
    response.setStatusCode(status).putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON).end(encoded);
  }

  static void noContent(RoutingContext ctx) {
    if (!ctx.response().closed()) {
      ctx.response().setStatusCode(204).end();
    }
  }

  /**
   * The request body as a JSON object ({@link StrictJson}); 400 MALFORMED_REQUEST if it is missing, not JSON, not an
   * object, or holds a duplicate key or a lone surrogate. A large body arrives parsed ({@link JsonBodies}).
   */
  static JsonObject jsonObjectBody(RoutingContext ctx) {
    JsonObject parsed = JsonBodies.parsed(ctx);
    return parsed != null ? parsed : jsonObjectBody(ctx.body().buffer());
  }

  /** {@link #jsonObjectBody(RoutingContext)} of a body already read; safe off the event loop. */
  static JsonObject jsonObjectBody(Buffer body) {
    if (body == null || body.length() == 0) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Request body is empty; a JSON object is expected");
    }
    return StrictJson.parseObject(body, "Request body");
  }
}
