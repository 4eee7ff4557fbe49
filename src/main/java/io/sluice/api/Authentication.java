package io.sluice.api;

import io.vertx.core.Future;
import java.util.List;

/**
 * Who a listener's caller is: users' passwords checked against their SCRAM credentials (kept in ZooKeeper, so every
 * broker knows every user), and the management of those credentials. The broker hands its listeners one in
 * {@link Services#extensions()}; a listener that finds {@link #enabled()} false serves everyone as
 * {@link Principal#ANONYMOUS}, as before authentication existed.
 */
public interface Authentication {

  /** Whether callers must authenticate ({@code authentication.method} other than NONE). */
  boolean enabled();

  /** Whether users may authenticate with HTTP Basic ({@code authentication.method} lists BASIC). */
  default boolean basic() {
    return enabled();
  }

  /** Whether callers may authenticate with a bearer token ({@code authentication.method} lists OAUTHBEARER). */
  default boolean bearer() {
    return false;
  }

  /**
   * The caller an OAuth bearer token (a JWT) names, checked locally against the provider's keys; fails with
   * {@code SASL_AUTHENTICATION_FAILED} naming what was wrong with it (expired, wrong audience, bad signature...).
   * {@link #current} holds for the result until the token expires.
   */
  default Future<Verified> verifyBearer(String token) {
    return Future.failedFuture(new io.sluice.errors.SluiceException(
        io.sluice.errors.ErrorCode.SASL_AUTHENTICATION_FAILED, "Bearer tokens are not accepted by this broker"));
  }

  /**
   * Checks {@code password} against {@code user}'s stored credential, off the event loop (PBKDF2 costs milliseconds).
   * Fails with {@code SASL_AUTHENTICATION_FAILED} for a wrong password or an unknown user alike, after the same work
   * and a short delay, so neither timing nor speed tells them apart.
   */
  Future<Verified> verify(String user, String password, String clientAddress);

  /**
   * Whether {@code verified} still holds: the user's credential is the one it was checked against (not changed nor
   * deleted since this broker last heard from ZooKeeper), a bearer token has not expired. Cheap; any thread.
   */
  boolean current(Verified verified);

  /**
   * When {@code verified} stops holding by itself (a bearer token's expiry, plus the clock skew allowed), in epoch
   * milliseconds; {@code Long.MAX_VALUE} for credentials that hold until changed.
   */
  default long expiresAtMs(Verified verified) {
    return Long.MAX_VALUE;
  }

  /** Every user with a credential, with its mechanisms and iterations (never a secret). Super users only. */
  Future<List<UserCredentials>> describe(RequestContext caller);

  /**
   * Sets {@code user}'s credential of {@code mechanism} ({@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}) from
   * {@code password}, salted and hashed {@code iterations} times. Super users only. True when the user is new.
   */
  Future<Boolean> upsert(RequestContext caller, String user, String mechanism, int iterations, String password);

  /** Deletes {@code user}'s credential of {@code mechanism}, or all of them when it is null. Super users only. */
  Future<Void> delete(RequestContext caller, String user, String mechanism);

  /** A caller whose password matched; {@code credential} identifies what it matched (for {@link #current}). */
  record Verified(Principal principal, Object credential) {
  }

  /** A user and the mechanisms it has credentials for. */
  record UserCredentials(String user, List<CredentialInfo> mechanisms) {
  }

  /** One mechanism's credential, without its secrets. */
  record CredentialInfo(String mechanism, int iterations) {
  }
}
