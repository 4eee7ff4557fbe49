package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.netty.buffer.ByteBuf;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpClientConnectionInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.sluice.client.ClientOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * HTTP requests to brokers and the mapping of their answers back to {@link ErrorCode}s: a 4xx/5xx answer with the
 * API's {@code {"error_code", "message"}} body fails with that code; a lost connection, a refused connection or a
 * request that saw no answer within the timeout fails with a retriable code (NETWORK_EXCEPTION or
 * REQUEST_TIMED_OUT), because the request may or may not have been applied.
 *
 * <p>Thread-safe: every request is made on the client's one context, whatever thread asks, so its held
 * connections ({@link HeldConnections}) and its response streams share one event loop. With a request on another
 * loop than its connection, Vert.x 5.0.7 can lose the end of a response whose body is read on the request's loop while the connection's
 * loop ends it (eclipse-vertx/vert.x#6038, fixed after 5.0.7), and the request waits for its timeout.
 */
final class Transport {
  /**
   * An answer with a 2xx status. Its body is the first {@code length} bytes of {@code content}, which may be longer
   * (a pooled array, {@link AnswerArrays}).
   */
  record Response(int status, MultiMap headers, byte[] content, int length) {
    Response(int status, MultiMap headers, byte[] content) {
      this(status, headers, content, content.length);
    }

    /** The body as a Vert.x buffer (a copy: for JSON and error bodies, not for megabytes of batches). */
    Buffer body() {
      return Buffer.buffer(length).appendBytes(content, 0, length);
    }

    JsonObject json() {
      return length == 0 ? new JsonObject() : body().toJsonObject();
    }

    long longHeader(String name, long fallback) {
      String v = headers.get(name);
      return v == null ? fallback : Long.parseLong(v);
    }

    /** The body's bytes, not copied (a fetch answer is megabytes): read them, never write to them. */
    ByteBuffer bytes() {
      return ByteBuffer.wrap(content, 0, length);
    }
  }

  /** Bodies up to this size are read into one array of the declared length; larger ones grow past it. */
  static final int MAX_PRESIZED_BODY_BYTES = 64 << 20;

  private final HttpClientAgent http;
  private final HeldConnections held;
  private final Context context;
  private final AnswerArrays arrays = new AnswerArrays();
  private final RequestOptionsCache requestOptions;
  private final long requestTimeoutMs;
  /** The broker's {@code RequestContext.CLIENT_ID_HEADER} (the client does not depend on the broker's contract). */
  static final String CLIENT_ID_HEADER = "Sluice-Client-Id";
  private final String clientId;
  /** The Basic {@code Authorization} header every request carries; null without credentials. */
  private final String authorization;
  /** The bearer tokens sent instead, when the client has them; null without. */
  private BearerTokens bearer;

  Transport(Vertx vertx, Context context, long requestTimeoutMs, int maxConnectionsPerBroker) {
    this(vertx, context, requestTimeoutMs, maxConnectionsPerBroker, ClientOptions.DEFAULT_CONNECTIONS_MAX_IDLE_MS,
        new HttpClientOptions(), null, null);
  }

  /**
   * A transport on {@code tls} (trust, the client's own key pair, host checks: {@link #tls}) for its {@code https://}
   * requests, whose connections are closed once idle for {@code connectionsMaxIdleMs}, with {@code clientId} (null:
   * none) in every request's {@code Sluice-Client-Id} header and {@code authorization} (null: none) as its
   * {@code Authorization} header.
   */
  Transport(Vertx vertx, Context context, long requestTimeoutMs, int maxConnectionsPerBroker,
      long connectionsMaxIdleMs, HttpClientOptions tls, String clientId, String authorization) {
    this.authorization = authorization;
    this.context = context;
    this.requestTimeoutMs = requestTimeoutMs;
    this.clientId = clientId;
    this.requestOptions = new RequestOptionsCache((m, b, p, c, a) -> requestOptions(m, b, p, c, a, authorization));
    this.http = vertx.httpClientBuilder()
        .with(tls.setKeepAlive(true).setTcpNoDelay(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, requestTimeoutMs)))
        .build();
    this.held = new HeldConnections(vertx, http, maxConnectionsPerBroker, requestTimeoutMs, connectionsMaxIdleMs,
        this::gatherBodies);
  }

  /** Sends {@code tokens}' current bearer token as every request's {@code Authorization} header. */
  Transport bearerTokens(BearerTokens tokens) {
    this.bearer = tokens;
    return this;
  }

  /** Options with the TLS a client's {@code https://} brokers are reached with (used only by such requests). */
  static HttpClientOptions tls(ClientOptions options) {
    return new HttpClientOptions().setTrustOptions(options.trustOptions()).setKeyCertOptions(options.keyCertOptions())
        .setVerifyHost(options.verifyHostname());
  }

  /** Connections whose answers' bodies {@link BodyGatherer} gathers (tests check that it is in place). */
  static final LongAdder GATHERING_CONNECTIONS = new LongAdder();

  /**
   * Called for each new connection (the one Vert.x wraps, see {@link HeldConnections}), before its first request is
   * sent. A connection whose Netty pipeline Vert.x does not expose as expected keeps Vert.x's own path: the same
   * bytes, one copy more.
   */
  private void gatherBodies(HttpConnection connection) {
    if (connection instanceof HttpClientConnectionInternal internal
        && BodyGatherer.install(internal.channelHandlerContext().channel(), arrays)) {
      GATHERING_CONNECTIONS.increment();
    }
  }

  /**
   * Gives an answer's array back for the next large answer: call only when nothing reads {@code response}'s bytes
   * any more, nor ever will (no slice of them is kept).
   */
  void giveBack(Response response) {
    arrays.give(response.content());
  }

  /** Live connections held to {@code broker}; for tests, on the client's context. */
  int live(URI broker) {
    return held.live(broker);
  }

  /** The answers' arrays; for tests. */
  AnswerArrays arrays() {
    return arrays;
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
    if (bearer == null) {
      return exchange(requestOptions.get(method, broker, pathAndQuery, contentType, accept), method, broker,
          pathAndQuery, body);
    }
    // A bearer token changes as it is refreshed, so its requests' options are built each time, not cached.
    String token = bearer.current();
    Future<String> header = token != null ? Future.succeededFuture(token) : bearer.next();
    return header.compose(h -> exchange(requestOptions(method, broker, pathAndQuery, contentType, accept, h), method,
        broker, pathAndQuery, body).recover(t -> resendWithRenewedToken(t, h, method, broker, pathAndQuery,
        contentType, accept, body)));
  }

  /** A request refused for its expired token, refused at the gate so nothing was applied: sent again once. */
  private Future<Response> resendWithRenewedToken(Throwable refusal, String token, HttpMethod method, URI broker,
      String pathAndQuery, String contentType, String accept, Buffer body) {
    Future<String> renewed = expiredToken(refusal) ? bearer.renew(token) : null;
    if (renewed == null) {
      return Future.failedFuture(refusal);
    }
    return renewed.compose(fresh -> exchange(requestOptions(method, broker, pathAndQuery, contentType, accept, fresh),
        method, broker, pathAndQuery, body));
  }

  /** Whether the broker refused a request because its bearer token expired (by the broker's clock). */
  static boolean expiredToken(Throwable t) {
    return t instanceof SluiceException e && e.errorCode() == ErrorCode.SASL_AUTHENTICATION_FAILED
        && e.getMessage() != null && e.getMessage().contains("token expired");
  }

  private Future<Response> exchange(RequestOptions options, HttpMethod method, URI broker, String pathAndQuery,
      Buffer body) {
    // One stage after the answer for both outcomes: each stage more is a future, a listener and a lambda per request.
    // The answer is read in a stage of send()'s own future: one composed after it may run once the answer has ended,
    // and Vert.x 5.0.7 then loses the body (eclipse-vertx/vert.x#6038; see security.Jwks#answer).
    return held.with(broker, c -> c.request(options)
        .compose(req -> (body == null ? req.send() : req.send(body)).compose(Transport::content)))
        .transform(ar -> {
          if (ar.failed()) {
            return Future.failedFuture(networkFailure(method, broker, pathAndQuery, ar.cause()));
          }
          Response r = ar.result();
          return r.status() < 300 ? Future.succeededFuture(r)
              : Future.failedFuture(ErrorCodes.fromResponse(r.status(), r.body(), method + " " + pathAndQuery));
        });
  }

  /** What Vert.x reads a request from (it copies the headers into each request and never writes to the options). */
  private RequestOptions requestOptions(HttpMethod method, URI broker, String pathAndQuery, String contentType,
      String accept, String auth) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost(broker.getHost())
        .setPort(broker.getPort()).setURI(pathAndQuery).setIdleTimeout(requestTimeoutMs)
        .setSsl("https".equals(broker.getScheme()));
    if (contentType != null) {
      options.putHeader("Content-Type", contentType);
    }
    if (accept != null) {
      options.putHeader("Accept", accept);
    }
    if (clientId != null) {
      options.putHeader(CLIENT_ID_HEADER, clientId);
    }
    if (auth != null) {
      options.putHeader(HttpHeaders.AUTHORIZATION, auth);
    }
    return options;
  }

  /** The cached request options; for tests. */
  RequestOptionsCache requestOptions() {
    return requestOptions;
  }

  /**
   * The whole body. With a Content-Length it goes into one buffer of that size: Vert.x's own aggregation starts small
   * and grows by copying, which for a multi-megabyte fetch answer allocated about twice its size per answer.
   */
  private static Future<Response> content(HttpClientResponse resp) {
    String declared = resp.getHeader(HttpHeaders.CONTENT_LENGTH);
    long length = -1;
    try {
      length = declared == null ? -1 : Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      // A broken header is not trusted for sizing; Vert.x reads the body as it comes.
    }
    if (length < 0) {
      return resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b.getBytes()));
    }
    // The header sizes the array only up to a bound: a wrong one must not make the client allocate gigabytes.
    Content content = new Content((int) Math.min(length, MAX_PRESIZED_BODY_BYTES));
    Promise<Response> read = Promise.promise();
    resp.handler(content::append).exceptionHandler(read::tryFail)
        .endHandler(v -> read.tryComplete(content.done(resp)));
    return read.future();
  }

  /**
   * A body read into one array, sized by its Content-Length; grows (by copying) only if the header was short. A body
   * that comes as one chunk of exactly that length is kept as it is ({@link #takeOver}), so the array is made only
   * when a first chunk has to be copied.
   */
  private static final class Content {
    private final int expected;
    private byte[] bytes;
    private int size;

    Content(int expected) {
      this.expected = expected;
    }

    void append(Buffer chunk) {
      int n = chunk.length();
      if (bytes == null) {
        if (n == expected && n > 0 && takeOver(chunk)) {
          return;
        }
        bytes = new byte[expected];
      }
      if (bytes.length - size < n) {
        bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(2L * bytes.length, (long) size + n)));
      }
      chunk.getBytes(0, n, bytes, size);
      size += n;
    }

    /** The answer with the body read: its first {@link #size} bytes of {@link #bytes}. */
    Response done(HttpClientResponse resp) {
      return new Response(resp.statusCode(), resp.headers(), bytes == null ? new byte[0] : bytes, size);
    }

    /**
     * Keeps a whole body's array instead of copying it: {@link BodyGatherer} hands the body over as one chunk,
     * wrapping an array made for this answer alone, which neither Netty nor Vert.x touches once it is passed on.
     */
    private boolean takeOver(Buffer chunk) {
      if (!(chunk instanceof BufferInternal internal)) {
        return false;
      }
      ByteBuf buf = internal.getByteBuf();
      if (!buf.hasArray() || buf.arrayOffset() + buf.readerIndex() != 0 || buf.readableBytes() != expected) {
        return false;
      }
      bytes = buf.array();
      size = expected;
      return true;
    }
  }

  Future<Void> close() {
    return held.close().eventually(http::close).eventually(() -> bearer == null ? Future.succeededFuture()
        : bearer.close());
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
