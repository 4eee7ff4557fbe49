package io.sluice.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A SCRAM credential as RFC 5802 stores it and Kafka keeps it in ZooKeeper: a random salt, the iteration count, and
 * the stored key {@code H(HMAC(SaltedPassword, "Client Key"))} and server key {@code HMAC(SaltedPassword,
 * "Server Key")}, where {@code SaltedPassword = PBKDF2(password, salt, iterations)}. The password itself is never
 * kept. Its text form is Kafka's ({@code salt=...,stored_key=...,server_key=...,iterations=N}, base64).
 */
record ScramCredential(Mechanism mechanism, byte[] salt, byte[] storedKey, byte[] serverKey, int iterations) {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The SCRAM mechanisms Kafka offers, with its bounds on iterations. */
  enum Mechanism {
    SCRAM_SHA_256("SCRAM-SHA-256", "SHA-256", "HmacSHA256", "PBKDF2WithHmacSHA256", 32),
    SCRAM_SHA_512("SCRAM-SHA-512", "SHA-512", "HmacSHA512", "PBKDF2WithHmacSHA512", 64);

    static final int MIN_ITERATIONS = 4096;
    static final int MAX_ITERATIONS = 16384;

    final String wireName;
    final String digest;
    final String hmac;
    final String pbkdf2;
    final int keyBytes;

    Mechanism(String wireName, String digest, String hmac, String pbkdf2, int keyBytes) {
      this.wireName = wireName;
      this.digest = digest;
      this.hmac = hmac;
      this.pbkdf2 = pbkdf2;
      this.keyBytes = keyBytes;
    }

    /** The mechanism named {@code name} (Kafka's spelling), or null. */
    static Mechanism named(String name) {
      for (Mechanism m : values()) {
        if (m.wireName.equals(name)) {
          return m;
        }
      }
      return null;
    }
  }

  /** A new credential for {@code password}, with a fresh random salt. Costs PBKDF2: not on an event loop. */
  static ScramCredential create(Mechanism mechanism, String password, int iterations) {
    byte[] salt = new byte[mechanism.keyBytes];
    RANDOM.nextBytes(salt);
    return derive(mechanism, password, salt, iterations);
  }

  /** The credential of {@code password} with {@code salt}. Costs PBKDF2. */
  static ScramCredential derive(Mechanism mechanism, String password, byte[] salt, int iterations) {
    byte[] salted = saltedPassword(mechanism, password, salt, iterations);
    return new ScramCredential(mechanism, salt, storedKey(mechanism, salted), hmac(mechanism, salted, "Server Key"),
        iterations);
  }

  /** Whether {@code password} is the one this credential was made from, compared in constant time. Costs PBKDF2. */
  boolean matches(String password) {
    byte[] candidate = storedKey(mechanism, saltedPassword(mechanism, password, salt, iterations));
    return MessageDigest.isEqual(candidate, storedKey);
  }

  /** Kafka's text form of the credential (what {@code /config/users/<user>} holds per mechanism). */
  String format() {
    Base64.Encoder b64 = Base64.getEncoder();
    return "salt=" + b64.encodeToString(salt) + ",stored_key=" + b64.encodeToString(storedKey) + ",server_key="
        + b64.encodeToString(serverKey) + ",iterations=" + iterations;
  }

  /** Reads Kafka's text form; fails with IllegalArgumentException when a part is missing or malformed. */
  static ScramCredential parse(Mechanism mechanism, String text) {
    Map<String, String> parts = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        parts.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    Base64.Decoder b64 = Base64.getDecoder();
    String iterations = parts.get("iterations");
    if (!parts.containsKey("salt") || !parts.containsKey("stored_key") || !parts.containsKey("server_key")
        || iterations == null) {
      throw new IllegalArgumentException("not a SCRAM credential: missing salt, stored_key, server_key or iterations");
    }
    return new ScramCredential(mechanism, b64.decode(parts.get("salt")), b64.decode(parts.get("stored_key")),
        b64.decode(parts.get("server_key")), Integer.parseInt(iterations));
  }

  private static byte[] saltedPassword(Mechanism mechanism, String password, byte[] salt, int iterations) {
    // SunJCE's PBKDF2 encodes the password's characters as UTF-8, as Kafka's ScramFormatter does.
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, mechanism.keyBytes * 8);
    try {
      return SecretKeyFactory.getInstance(mechanism.pbkdf2).generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(mechanism.pbkdf2 + " is not available", e);
    } finally {
      spec.clearPassword();
    }
  }

  private static byte[] storedKey(Mechanism mechanism, byte[] saltedPassword) {
    try {
      return MessageDigest.getInstance(mechanism.digest).digest(hmac(mechanism, saltedPassword, "Client Key"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(mechanism.digest + " is not available", e);
    }
  }

  private static byte[] hmac(Mechanism mechanism, byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance(mechanism.hmac);
      mac.init(new SecretKeySpec(key, mechanism.hmac));
      return mac.doFinal(text.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(mechanism.hmac + " is not available", e);
    }
  }
}
