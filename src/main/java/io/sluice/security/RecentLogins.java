package io.sluice.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The last password each user logged in with, as an HMAC under a key drawn at each start, with the credential it was
 * verified against: a user who logged in since the start passes a new connection's check at the cost of one HMAC, not
 * PBKDF2, and so is not shut out while a flood of bad passwords fills the {@link VerificationQueue}. An entry counts
 * only while the user's credential is the very one it was verified against (compared by identity), so a changed or
 * deleted credential takes effect at once, as on a connection that remembers its header. At most
 * {@value #MAX_USERS} users are kept (all forgotten past it: only successful logins add, which a flood cannot make).
 * Thread-safe.
 */
final class RecentLogins {
  static final int MAX_USERS = 10_000;
  private static final String HMAC = "HmacSHA256";

  private record Login(byte[] digest, Object credential) {
  }

  private final byte[] key = new byte[32];
  private final ConcurrentHashMap<String, Login> byUser = new ConcurrentHashMap<>();

  RecentLogins() {
    new SecureRandom().nextBytes(key);
  }

  /** Whether {@code user} logged in with {@code password} against {@code credential} (the current one) before. */
  boolean matches(String user, String password, Object credential) {
    Login login = byUser.get(user);
    return login != null && login.credential() == credential
        && MessageDigest.isEqual(login.digest(), digest(user, password));
  }

  /** Remembers a login {@code credential} verified with PBKDF2. */
  void remember(String user, String password, Object credential) {
    if (byUser.size() >= MAX_USERS) {
      byUser.clear();
    }
    byUser.put(user, new Login(digest(user, password), credential));
  }

  private byte[] digest(String user, String password) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      mac.update(user.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(HMAC + " is not available", e);
    }
  }
}
