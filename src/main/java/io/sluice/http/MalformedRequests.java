package io.sluice.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.sluice.errors.ErrorCode;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Answers requests the router cannot take in the API's error shape: ones the HTTP codec could not parse (a request
 * line or headers over the server's limits, garbage) and ones whose URI has a broken percent-escape. Without this the
 * first get Vert.x's empty-bodied 414/431/400 and the second a 500 (Vert.x Web fails while decoding the path or a
 * query parameter, before any route or failure handler sees the cause). Runs on the event loop; stateless.
 */
final class MalformedRequests {
  private MalformedRequests() {
  }

  /** The server's invalid-request handler: the decoder failed, so the connection is closed after the answer. */
  static void invalid(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ErrorResponses.ApiError error;
    if (cause instanceof TooLongHttpLineException) {
      error = new ErrorResponses.ApiError(ErrorCode.URI_TOO_LONG, "The request line is too long");
    } else if (cause instanceof TooLongHttpHeaderException) {
      error = new ErrorResponses.ApiError(ErrorCode.HEADERS_TOO_LARGE, "The request headers are too large");
    } else {
      error = new ErrorResponses.ApiError(ErrorCode.MALFORMED_REQUEST, "Malformed HTTP request");
    }
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    answer(request, error);
  }

  /**
   * Answers 400 and returns true when the request's path or query does not percent-decode; false (nothing sent)
   * otherwise, and the request goes on to the router.
   */
  static boolean refuseUndecodableUri(HttpServerRequest request) {
    String uri = request.uri();
    if (uri.indexOf('%') < 0) {
      // Only a percent escape can fail to decode ('+' becomes a space): most requests skip a decoding into maps that
      // the router and the endpoints do again, once per request on every produce and fetch.
      return false;
    }
    try {
      QueryStringDecoder decoder = new QueryStringDecoder(uri);
      decoder.path();
      decoder.parameters();
      return false;
    } catch (IllegalArgumentException e) {
      answer(request, new ErrorResponses.ApiError(ErrorCode.MALFORMED_REQUEST,
          "The request URI is not validly percent-encoded: " + e.getMessage()));
      return true;
    }
  }

  private static void answer(HttpServerRequest request, ErrorResponses.ApiError error) {
    request.response().setStatusCode(error.code().httpStatus())
        .putHeader(HttpHeaders.CONTENT_TYPE, MediaTypes.KAFKA_V2_JSON)
        .end(error.toJson().toBuffer());
  }
}
