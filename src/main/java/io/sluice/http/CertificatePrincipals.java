package io.sluice.http;

import io.sluice.api.Principal;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * The principal of a caller that showed a client certificate ({@code ssl.client.auth=requested|required}):
 * {@code User:} and the certificate's subject DN as {@link X500Principal#getName()} gives it (RFC 2253, e.g.
 * {@code User:CN=writer,O=Sluice}), which is what Kafka's default {@code ssl.principal.mapping.rules} gives, so an
 * ACL written for Kafka names the same caller. A caller without one is {@link Principal#ANONYMOUS}.
 *
 * <p>While no listener in the process asks clients for certificates, {@link #of(SSLSession)} is never reached: the
 * request path pays one volatile read. Thread-safe.
 */
final class CertificatePrincipals {
  /** The session value the mapped principal is kept under: a connection's requests map its certificate once. */
  private static final String SESSION_KEY = "io.sluice.principal";
  private static volatile boolean inUse;

  private CertificatePrincipals() {
  }

  /** Called by a listener that asks for client certificates, before it serves. */
  static void inUse() {
    inUse = true;
  }

  /** Whether any listener in this process asks for client certificates. */
  static boolean asked() {
    return inUse;
  }

  /** The principal of the TLS session's peer certificate; anonymous without a session or a certificate. */
  static Principal of(SSLSession session) {
    if (session == null) {
      return Principal.ANONYMOUS;
    }
    Object known = session.getValue(SESSION_KEY);
    if (known instanceof Principal p) {
      return p;
    }
    Principal p;
    try {
      p = session.getPeerPrincipal() instanceof X500Principal x ? of(x) : Principal.ANONYMOUS;
    } catch (SSLPeerUnverifiedException e) {
      p = Principal.ANONYMOUS;
    }
    session.putValue(SESSION_KEY, p);
    return p;
  }

  /** Kafka's default mapping of a certificate's subject. */
  static Principal of(X500Principal subject) {
    return new Principal(Principal.USER_TYPE, subject.getName());
  }
}
