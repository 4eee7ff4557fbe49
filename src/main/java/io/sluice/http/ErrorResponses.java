package io.sluice.http;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.lang.System.Logger.Level;

/**
 * The one place that turns a failure into an HTTP answer: {@code {"error_code": N, "message": "..."}} with the
 * status {@link ErrorCode#httpStatus()} gives. Client mistakes keep their message; anything unexpected becomes
 * 500 UNKNOWN_SERVER_ERROR with a generic message, and its stack trace goes to the log, never to the client.
 *
 * <p>Mounted as the router's failure handler and as its 404/405/413 error handlers, so a route that fails
 * (by {@code ctx.fail}) and a request no route matches answer in the same shape.
 */
final class ErrorResponses {
  private static final System.Logger LOG = System.getLogger(ErrorResponses.class.getName());

  private ErrorResponses() {
  }

  /**
   * An error to report: its code and a message for the client, bounded and its invisible characters escaped
   * ({@link Echo#message}), as many messages repeat what the client sent.
   */
  record ApiError(ErrorCode code, String message) {
    ApiError {
      message = Echo.message(message);
    }

    JsonObject toJson() {
      return new JsonObject().put("error_code", code.code()).put("message", message);
    }
  }

  /**
   * The router's failure handler: maps {@code ctx.failure()} or, when there is none, {@code ctx.statusCode()}. A bare
   * 413 is the body handler refusing a body above {@code maxBodyBytes} ({@code http.max.body.bytes}), see
   * {@link #refuseBody}.
   */
  static Handler<RoutingContext> failureHandler(long maxBodyBytes) {
    return ctx -> {
      if (ctx.failure() == null && ctx.statusCode() == 413) {
        refuseBody(ctx, maxBodyBytes);
      } else {
        send(ctx, ctx.failure() != null ? toApiError(ctx.failure(), ctx) : forStatus(ctx.statusCode(), ctx));
      }
    };
  }

  /**
   * Answers 413 REQUEST_TOO_LARGE naming the limit, and closes the connection once the answer is written: the body
   * handler refuses a body by its Content-Length before reading it (or part way), and leaves the request paused, so
   * the rest of the body is still on the connection and the next request on it would never be read (a client reusing
   * the connection waited for its request timeout). Kafka's broker closes the connection of a request above
   * {@code socket.request.max.bytes} too.
   */
  static void refuseBody(RoutingContext ctx, long maxBodyBytes) {
    ApiError error = new ApiError(ErrorCode.REQUEST_TOO_LARGE, "Request body exceeds http.max.body.bytes "
        + maxBodyBytes);
    HttpServerResponse response = ctx.response();
    if (ctx.request().version() == HttpVersion.HTTP_2) {
      send(ctx, error); // a stream of its own: closing the connection would cut the others
      return;
    }
    if (response.ended() || response.closed() || response.headWritten()) {
      ctx.request().connection().close();
      return;
    }
    response.setStatusCode(error.code().httpStatus())
        .putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON)
        .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
        .end(error.toJson().toBuffer())
        .onComplete(ar -> lingerThenClose(ctx, maxBodyBytes));
  }

  /** How long a refused body's rest is read and dropped before the connection is closed anyway. */
  static final long LINGER_MS = 2_000;

  /**
   * Closes the connection of a refused body once the client has sent the rest of it (read and dropped, up to another
   * {@code maxBodyBytes} or {@link #LINGER_MS}), not at once: closed with the client's bytes unread, the connection is
   * reset, and a client still writing its body (a chunked upload) could lose the 413 before reading it (seen in
   * RequestLimitsTest, one CI run in three). HTTP servers call this a lingering close.
   */
  private static void lingerThenClose(RoutingContext ctx, long maxBodyBytes) {
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      request.connection().close();
      return;
    }
    long[] left = {maxBodyBytes};
    long timer = ctx.vertx().setTimer(LINGER_MS, id -> request.connection().close());
    Runnable close = () -> {
      ctx.vertx().cancelTimer(timer);
      request.connection().close();
    };
    request.handler(chunk -> {
      left[0] -= chunk.length();
      if (left[0] < 0) {
        close.run();
      }
    });
    request.endHandler(v -> close.run());
    request.exceptionHandler(t -> close.run());
    request.resume();
  }

  /** Answers {@code ctx} with {@code failure} mapped; for use in a {@code Future.onFailure}. */
  static void fail(RoutingContext ctx, Throwable failure) {
    send(ctx, toApiError(failure, ctx));
  }

  static SluiceException error(ErrorCode code, String message) {
    return new SluiceException(code, message);
  }

  static ApiError toApiError(Throwable failure, RoutingContext ctx) {
    if (failure instanceof SluiceException e) {
      if (e.errorCode() == ErrorCode.UNKNOWN_SERVER_ERROR) {
        return internal(failure, ctx);
      }
      return new ApiError(e.errorCode(), e.getMessage());
    }
    if (failure instanceof HttpException e) {
      ApiError byStatus = forStatus(e.getStatusCode(), ctx);
      return e.getPayload() == null ? byStatus : new ApiError(byStatus.code(), e.getPayload());
    }
    // A bare DecodeException is not the client's: every request body and WebSocket message is parsed through
    // StrictJson, which answers 400 naming what it read; one reaching here decoded the broker's own data.
    return internal(failure, ctx);
  }

  private static ApiError internal(Throwable failure, RoutingContext ctx) {
    LOG.log(Level.ERROR, "Unexpected failure answering " + describe(ctx), failure);
    return new ApiError(ErrorCode.UNKNOWN_SERVER_ERROR, "Internal server error");
  }

  static ApiError forStatus(int status, RoutingContext ctx) {
    return switch (status) {
      case 400 -> new ApiError(ErrorCode.MALFORMED_REQUEST, "Malformed request");
      case 404 -> new ApiError(ErrorCode.NOT_FOUND, "No resource at " + Echo.quoted(ctx.request().path()));
      case 405 -> new ApiError(ErrorCode.METHOD_NOT_ALLOWED,
          "Method " + ctx.request().method() + " is not allowed on " + Echo.quoted(ctx.request().path()));
      case 406 -> new ApiError(ErrorCode.NOT_ACCEPTABLE, "None of the Accept media types can be produced");
      case 413 -> new ApiError(ErrorCode.REQUEST_TOO_LARGE, "Request body exceeds the configured limit");
      case 415 -> new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Unsupported Content-Type");
      case 503 -> new ApiError(ErrorCode.SERVICE_UNAVAILABLE, "Service unavailable");
      default -> status >= 400 && status < 500
          ? new ApiError(ErrorCode.MALFORMED_REQUEST, "Request refused with status " + status)
          : internal(new IllegalStateException("Failed with status " + status), ctx);
    };
  }

  /** Writes {@code error}, unless the response is already on its way or the client is gone. */
  static void send(RoutingContext ctx, ApiError error) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      // Part of a 200 went out already: the only honest signal left is to cut the connection.
      response.reset();
      return;
    }
    response.setStatusCode(error.code().httpStatus())
        .putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON)
        .end(error.toJson().toBuffer());
  }

  private static String describe(RoutingContext ctx) {
    return ctx.request().method() + " " + ctx.request().uri();
  }
}
