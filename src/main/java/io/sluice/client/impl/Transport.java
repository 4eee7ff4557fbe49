package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.concurrent.TimeoutException;

/**
 * HTTP requests to brokers and the mapping of their answers back to {@link ErrorCode}s: a 4xx/5xx answer with the
 * API's {@code {"error_code", "message"}} body fails with that code; a lost connection, a refused connection or a
 * request that saw no answer within the timeout fails with a retriable code (NETWORK_EXCEPTION or
 * REQUEST_TIMED_OUT), because the request may or may not have been applied.
 *
 * <p>Thread-safe: every request is made on the client's one context, whatever thread asks, so its pooled
 * connections and its response streams share one event loop. With a request on another loop than its connection,
 * Vert.x 5.0.7 can lose the end of a response whose body is read on the request's loop while the connection's
 * loop ends it (eclipse-vertx/vert.x#6038, fixed after 5.0.7), and the request waits for its timeout.
 */
final class Transport {
  /** An answer with a 2xx status. */
  record Response(int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      return body.length() == 0 ? new JsonObject() : body.toJsonObject();
    }

    long longHeader(String name, long fallback) {
      String v = headers.get(name);
      return v == null ? fallback : Long.parseLong(v);
    }
  }

  private final HttpClient http;
  private final Context context;
  private final long requestTimeoutMs;

  Transport(Vertx vertx, Context context, long requestTimeoutMs, int maxConnectionsPerBroker) {
    this.context = context;
    this.requestTimeoutMs = requestTimeoutMs;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, requestTimeoutMs)),
        new PoolOptions().setHttp1MaxSize(maxConnectionsPerBroker));
  }

  /** Sends a request; {@code body}, {@code contentType} and {@code accept} may be null. */
  Future<Response> send(HttpMethod method, URI broker, String pathAndQuery, String contentType, String accept,
      Buffer body) {
    if (Vertx.currentContext() == context) {
      return sendHere(method, broker, pathAndQuery, contentType, accept, body);
    }
    Promise<Response> answered = Promise.promise();
    context.runOnContext(v -> sendHere(method, broker, pathAndQuery, contentType, accept, body).onComplete(answered));
    return answered.future();
  }

  private Future<Response> sendHere(HttpMethod method, URI broker, String pathAndQuery, String contentType,
      String accept, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost(broker.getHost())
        .setPort(broker.getPort()).setURI(pathAndQuery).setIdleTimeout(requestTimeoutMs);
    if (contentType != null) {
      options.putHeader("Content-Type", contentType);
    }
    if (accept != null) {
      options.putHeader("Accept", accept);
    }
    return http.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b)))
        .recover(t -> Future.failedFuture(networkFailure(method, broker, pathAndQuery, t)))
        .compose(r -> r.status() < 300 ? Future.succeededFuture(r)
            : Future.failedFuture(ErrorCodes.fromResponse(r.status(), r.body(), method + " " + pathAndQuery)));
  }

  Future<Void> close() {
    return http.close();
  }

  private static Throwable networkFailure(HttpMethod method, URI broker, String path, Throwable t) {
    if (t instanceof SluiceException) {
      return t;
    }
    String what = method + " " + broker + path;
    if (t instanceof TimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
      return new SluiceException(ErrorCode.REQUEST_TIMED_OUT, what + " saw no answer in time: " + t.getMessage());
    }
    return new SluiceException(ErrorCode.NETWORK_EXCEPTION, what + " failed: " + t);
  }
}
