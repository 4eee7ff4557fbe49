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
 * The {@link RequestContext} of an HTTP or WebSocket request: anonymous, or the client certificate's principal
 * over TLS with {@code ssl.client.auth} ({@link CertificatePrincipals}), listener
 * {@value #LISTENER}, the peer's address, and the client id from the {@value RequestContext#CLIENT_ID_HEADER} header,
 * else the {@code User-Agent}. Stateless.
 */
final class Callers {
  static final String LISTENER = "http";

  private Callers() {
  }

  static RequestContext of(RoutingContext ctx) {
    return of(ctx.request());
  }

  static RequestContext of(HttpServerRequest request) {
    // The connection's peer, not request.remoteAddress(): behind vertx-web's router the latter runs its forwarded-
    // header parser, which builds the request's absolute URI and authority on every call (a few hundred bytes per
    // produce and fetch); the router trusts no forwarded header (AllowForwardHeaders.NONE), so both are the peer.
    HttpConnection connection = request.connection();
    Principal principal = CertificatePrincipals.asked() ? CertificatePrincipals.of(connection.sslSession())
        : Principal.ANONYMOUS;
    return context(principal, connection.remoteAddress(), clientId(request.getHeader(RequestContext.CLIENT_ID_HEADER),
        request.getHeader(HttpHeaders.USER_AGENT)));
  }

  static RequestContext of(ServerWebSocket ws) {
    Principal principal = CertificatePrincipals.asked() ? CertificatePrincipals.of(ws.sslSession())
        : Principal.ANONYMOUS;
    return context(principal, ws.remoteAddress(), clientId(ws.headers().get(RequestContext.CLIENT_ID_HEADER),
        ws.headers().get(HttpHeaders.USER_AGENT)));
  }

  private static RequestContext context(Principal principal, SocketAddress peer, String clientId) {
    return new RequestContext(principal, LISTENER, peer == null ? "" : peer.host() + ":" + peer.port(), clientId);
  }

  private static String clientId(String explicit, String userAgent) {
    return explicit != null ? explicit : userAgent;
  }
}
