package io.sluice.security;

import io.sluice.security.ScramCredential.Mechanism;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The credential an unknown user's password is checked against, so that a login of an unknown user costs what a
 * known user's wrong password costs and the answer's time does not tell which names exist. Its mechanism and
 * iteration count are the ones most users' checked credential has (a user's first mechanism, SCRAM-SHA-256 before
 * SCRAM-SHA-512, as {@link ScramAuthentication} checks it); before, it was SCRAM-SHA-256 at 8,192 iterations whatever
 * the users had, so with the default 4,096 an unknown name took twice as long as a known one. Its salt and keys are
 * random: no password matches it.
 */
final class Decoy {
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Kind(Mechanism mechanism, int iterations) {
  }

  private Decoy() {
  }

  /** A decoy like the credential most of {@code users} are checked against ({@code defaultIterations} when none). */
  static ScramCredential like(Collection<CredentialStore.User> users, int defaultIterations) {
    Map<Kind, Integer> counts = new HashMap<>();
    for (CredentialStore.User u : users) {
      u.credentials().values().stream().findFirst()
          .ifPresent(c -> counts.merge(new Kind(c.mechanism(), c.iterations()), 1, Integer::sum));
    }
    Kind typical = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
        .orElse(new Kind(Mechanism.SCRAM_SHA_256, defaultIterations));
    return of(typical.mechanism(), typical.iterations());
  }

  /** A credential of {@code mechanism} and {@code iterations} that no password matches. */
  static ScramCredential of(Mechanism mechanism, int iterations) {
    return new ScramCredential(mechanism, random(mechanism.keyBytes), random(mechanism.keyBytes),
        random(mechanism.keyBytes), iterations);
  }

  private static byte[] random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return b;
  }
}
