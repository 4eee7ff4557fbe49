package io.sluice.http;

import io.sluice.api.Principal;
import io.sluice.api.RequestContext;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * The {@link RequestContext} of an HTTP or WebSocket request: the principal {@link AuthGate} verified when
 * authentication is on, else the client certificate's over TLS with {@code ssl.client.auth}
 * ({@link CertificatePrincipals}), else anonymous; listener
 * {@value #LISTENER}, the peer's address, and the client id from the {@value RequestContext#CLIENT_ID_HEADER} header,
 * else the {@code User-Agent}. Stateless.
 */
public final class Callers {
  static final String LISTENER = "http";

  private Callers() {
  }

  /** The request's context, with the principal {@link AuthGate} verified (anonymous while authentication is off).
   * Public for broker services' HTTP routes that act per caller (client quotas). */
  public static RequestContext of(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    // The connection's peer, not request.remoteAddress(): behind vertx-web's router the latter runs its forwarded-
    // header parser, which builds the request's absolute URI and authority on every call (a few hundred bytes per
    // produce and fetch); the router trusts no forwarded header (AllowForwardHeaders.NONE), so both are the peer.
    HttpConnection connection = request.connection();
    return context(principal(ctx, connection.sslSession()), connection.remoteAddress(),
        clientId(request.getHeader(RequestContext.CLIENT_ID_HEADER), request.getHeader(HttpHeaders.USER_AGENT)));
  }

  /** The context of a WebSocket upgraded from {@code ctx}'s request: its caller is the handshake's. */
  static RequestContext of(RoutingContext ctx, ServerWebSocket ws) {
    return context(principal(ctx, ws.sslSession()), ws.remoteAddress(),
        clientId(ws.headers().get(RequestContext.CLIENT_ID_HEADER), ws.headers().get(HttpHeaders.USER_AGENT)));
  }

  /**
   * While authentication is off nothing was put (a null check, no allocation: vertx-web makes no data map), and
   * while no listener asks for client certificates one volatile read decides.
   */
  private static Principal principal(RoutingContext ctx, javax.net.ssl.SSLSession tls) {
    Principal p = ctx.get(AuthGate.PRINCIPAL);
    if (p != null) {
      return p;
    }
    return CertificatePrincipals.asked() ? CertificatePrincipals.of(tls) : Principal.ANONYMOUS;
  }

  private static RequestContext context(Principal principal, SocketAddress peer, String clientId) {
    return new RequestContext(principal, LISTENER, peer == null ? "" : peer.host() + ":" + peer.port(), clientId);
  }

  private static String clientId(String explicit, String userAgent) {
    return explicit != null ? explicit : userAgent;
  }
}
