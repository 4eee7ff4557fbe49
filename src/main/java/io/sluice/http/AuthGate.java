package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.sluice.api.Authentication;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.ErrorResponses.ApiError;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * HTTP Basic and bearer-token (OAuth 2, RFC 6750) authentication in front of every route (the API, WebSocket and SSE
 * handshakes, the extensions'), mounted only when {@link Authentication#enabled()}; {@code GET /health} and
 * {@code /ready} stay open to probes. A request without valid credentials is answered 401 with
 * {@code SASL_AUTHENTICATION_FAILED} and a {@code WWW-Authenticate} challenge per method the broker accepts
 * ({@code Basic realm="sluice"} makes a browser ask); a refused bearer token's challenge says
 * {@code error="invalid_token"}.
 *
 * <p>PBKDF2 is paid once per connection, not per request: the connection remembers the {@code Authorization} header
 * it verified, and a later request with the same header passes at once while the user's credential is unchanged
 * ({@link Authentication#current}), so a changed or deleted credential stops the next request on every connection as
 * soon as this broker hears of it from ZooKeeper.
 */
final class AuthGate {
  /** The caller's principal in the routing context. */
  static final String PRINCIPAL = "sluice.principal";
  static final String CHALLENGE = "Basic realm=\"sluice\"";
  static final String BEARER_CHALLENGE = "Bearer realm=\"sluice\"";
  static final String INVALID_TOKEN = BEARER_CHALLENGE + ", error=\"invalid_token\"";
  private static final java.util.Set<String> PROBES = java.util.Set.of("/health", "/ready");
  private static final AttributeKey<Remembered> VERIFIED = AttributeKey.valueOf("sluice.verified");

  /** Whether the credentials a request was let in with still hold, in the routing context (none: always). */
  private static final String CURRENT = "sluice.credentials.current";
  private static final java.util.function.BooleanSupplier ALWAYS = () -> true;
  /** The close status of a WebSocket whose credentials changed: RFC 6455's policy violation. */
  static final short REVOKED_CLOSE_STATUS = 1008;
  static final String REVOKED = "Authentication required: the credentials this stream was opened with were changed or"
      + " deleted; connect again";
  static final String EXPIRED = "Authentication required: the bearer token this stream was opened with expired;"
      + " connect again with a fresh token";

  /** A bearer token's {@link #credentialsCurrent}: it holds until the token expires, at {@code expiresAtMs}. */
  private record TokenExpiry(java.util.function.BooleanSupplier current, long expiresAtMs)
      implements java.util.function.BooleanSupplier {
    @Override
    public boolean getAsBoolean() {
      return current.getAsBoolean();
    }
  }

  private record Remembered(String header, Authentication.Verified verified,
      java.util.function.BooleanSupplier current) {
  }

  private final Authentication authentication;

  private AuthGate(Authentication authentication) {
    this.authentication = authentication;
  }

  /** Mounts the gate as the router's first handler when authentication is on; nothing otherwise. */
  static void mount(Router router, Authentication authentication) {
    if (authentication != null && authentication.enabled()) {
      router.route().order(Integer.MIN_VALUE).handler(new AuthGate(authentication)::handle);
    }
  }

  private void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (PROBES.contains(request.path())) {
      // Liveness and readiness probes (orchestrators, load balancers) carry no credentials; they tell nothing secret.
      ctx.next();
      return;
    }
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null) {
      refuse(ctx, "Authentication required: send " + (authentication.basic() && authentication.bearer()
          ? "HTTP Basic credentials (Authorization: Basic ...) or a bearer token (Authorization: Bearer ...)"
          : authentication.bearer() ? "a bearer token (Authorization: Bearer ...)"
          : "HTTP Basic credentials (Authorization: Basic ...)"));
      return;
    }
    Channel channel = request.connection() instanceof ConnectionBase base ? base.channel() : null;
    Remembered remembered = channel == null ? null : channel.attr(VERIFIED).get();
    if (remembered != null && remembered.header().equals(header) && authentication.current(remembered.verified())) {
      pass(ctx, remembered);
      return;
    }
    String token = bearerToken(header);
    if (token != null && authentication.bearer()) {
      // Verification may wait for the provider's keys (a key id not seen yet): the body waits, unread.
      request.pause();
      authentication.verifyBearer(token).onComplete(ar -> verified(ctx, channel, header, ar, true));
      return;
    }
    String[] credentials = basic(header);
    if (credentials == null) {
      refuse(ctx, authentication.bearer() ? "Authorization must be Basic base64(user:password) or Bearer <token>"
          : token != null ? "Bearer tokens are not accepted by this broker (authentication.method has no"
          + " OAUTHBEARER): send Authorization: Basic base64(user:password)"
          : "Authorization must be Basic base64(user:password)");
      return;
    }
    // Verification is asynchronous (a worker runs PBKDF2): the body waits, unread, for the body handler.
    request.pause();
    authentication.verify(credentials[0], credentials[1], address(request))
        .onComplete(ar -> verified(ctx, channel, header, ar, false));
  }

  /** Lets the request in and remembers its credentials on the connection, or refuses it. */
  private void verified(RoutingContext ctx, Channel channel, String header,
      io.vertx.core.AsyncResult<Authentication.Verified> ar, boolean bearer) {
    if (ar.succeeded()) {
      Authentication.Verified verified = ar.result();
      java.util.function.BooleanSupplier current = () -> authentication.current(verified);
      Remembered fresh = new Remembered(header, verified, bearer
          ? new TokenExpiry(current, authentication.expiresAtMs(verified)) : current);
      if (channel != null) {
        channel.attr(VERIFIED).set(fresh);
      }
      pass(ctx, fresh);
      return;
    }
    ctx.request().resume();
    if (ar.cause() instanceof SluiceException e && e.errorCode() == ErrorCode.AUTHENTICATION_THROTTLED) {
      busy(ctx, e);
    } else {
      String message = ar.cause() instanceof SluiceException e ? e.getMessage() : "Authentication failed";
      respond(ctx, message, bearer ? java.util.List.of(INVALID_TOKEN) : challenges());
    }
  }

  /** The token of a {@code Bearer} header (RFC 6750), or null when it is not one. */
  static String bearerToken(String header) {
    if (header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  /** A challenge per method the broker accepts. */
  private java.util.List<String> challenges() {
    java.util.List<String> all = new java.util.ArrayList<>(2);
    if (authentication.basic()) {
      all.add(CHALLENGE);
    }
    if (authentication.bearer()) {
      all.add(BEARER_CHALLENGE);
    }
    return all.isEmpty() ? java.util.List.of(CHALLENGE) : all;
  }

  private static void pass(RoutingContext ctx, Remembered verified) {
    ctx.put(PRINCIPAL, verified.verified().principal());
    ctx.put(CURRENT, verified.current());
    ctx.next();
  }

  /**
   * Whether the credentials {@code ctx}'s request was let in with still hold (always true with authentication off).
   * A stream that outlives its request (WebSocket, Server-Sent Events) asks it before each message it takes and each
   * read it makes, so a changed or deleted credential stops it as it stops the next request of a keep-alive
   * connection; before, such a stream went on for as long as the client kept it open.
   */
  static java.util.function.BooleanSupplier credentialsCurrent(RoutingContext ctx) {
    java.util.function.BooleanSupplier current = ctx.get(CURRENT);
    return current == null ? ALWAYS : current;
  }

  /**
   * Why a stream opened with {@code credentialsCurrent} ({@link #credentialsCurrent}) is closed once it no longer
   * holds: its bearer token expired (Kafka closes a connection at its token's expiry, KIP-368), or its Basic
   * credentials changed.
   */
  static String revoked(java.util.function.BooleanSupplier credentialsCurrent) {
    return credentialsCurrent instanceof TokenExpiry ? EXPIRED : REVOKED;
  }

  /**
   * Runs {@code expire} when the bearer token {@code ctx}'s request was let in with expires (nothing for other
   * credentials), so that a stream opened with it closes then, not at its next message or read: a timer on the
   * request's context, cancelled when the connection closes. {@code expire} should close the stream if
   * {@link #credentialsCurrent} no longer holds (it is the judge; the timer only wakes it).
   */
  static void closeAtExpiry(RoutingContext ctx, Runnable expire) {
    if (!(credentialsCurrent(ctx) instanceof TokenExpiry token) || token.expiresAtMs() == Long.MAX_VALUE) {
      return;
    }
    io.vertx.core.Vertx vertx = ctx.vertx();
    // one millisecond past the expiry: the token holds while now < expiresAtMs
    long timer = vertx.setTimer(Math.max(1, token.expiresAtMs() - System.currentTimeMillis() + 1), id -> expire.run());
    if (ctx.request().connection() instanceof ConnectionBase base) {
      base.channel().closeFuture().addListener(f -> vertx.cancelTimer(timer));
    }
  }

  private void refuse(RoutingContext ctx, String message) {
    respond(ctx, message, challenges());
  }

  private static void respond(RoutingContext ctx, String message, java.util.List<String> challenges) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(ErrorCode.SASL_AUTHENTICATION_FAILED.httpStatus())
        .putHeader("WWW-Authenticate", challenges)
        .putHeader(HttpHeaders.CONTENT_TYPE, MediaTypes.KAFKA_V2_JSON)
        .end(new ApiError(ErrorCode.SASL_AUTHENTICATION_FAILED, message).toJson().toBuffer());
  }

  /** 429 with {@code Retry-After}: too many logins are being checked; the credentials were not looked at. */
  private static void busy(RoutingContext ctx, SluiceException e) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(e.errorCode().httpStatus()).putHeader(HttpHeaders.RETRY_AFTER, "1")
        .putHeader(HttpHeaders.CONTENT_TYPE, MediaTypes.KAFKA_V2_JSON)
        .end(new ApiError(e.errorCode(), e.getMessage()).toJson().toBuffer());
  }

  /** {@code [user, password]} of a Basic header, or null when it is not one. */
  static String[] basic(String header) {
    if (header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    return colon <= 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
  }

  private static String address(HttpServerRequest request) {
    SocketAddress peer = request.connection().remoteAddress();
    return peer == null ? "" : peer.host() + ":" + peer.port();
  }
}
