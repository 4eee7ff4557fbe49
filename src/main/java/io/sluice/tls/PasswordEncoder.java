package io.sluice.tls;

import io.sluice.config.SslConfig;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts the passwords of dynamic configs before they reach ZooKeeper, as Kafka's {@code password.encoder.secret}
 * does: AES-GCM under a key derived from the secret by PBKDF2 (HMAC-SHA512, 4096 iterations, as Kafka's defaults),
 * a salt and an IV of its own per value, stored as {@code aes-gcm:<salt>:<iv>:<ciphertext>} (Base64). GCM
 * authenticates: a wrong secret or a changed value fails to decode rather than yielding garbage.
 *
 * <p>PBKDF2 takes milliseconds: call on a worker.
 */
final class PasswordEncoder {
  private static final String PREFIX = "aes-gcm:";
  private static final int ITERATIONS = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final char[] secret;

  PasswordEncoder(String secret) {
    this.secret = secret.toCharArray();
  }

  String encode(String password) throws GeneralSecurityException {
    byte[] salt = random(16);
    byte[] iv = random(12);
    Cipher cipher = cipher(Cipher.ENCRYPT_MODE, salt, iv);
    byte[] sealed = cipher.doFinal(password.getBytes(StandardCharsets.UTF_8));
    Base64.Encoder b64 = Base64.getEncoder();
    return PREFIX + b64.encodeToString(salt) + ":" + b64.encodeToString(iv) + ":" + b64.encodeToString(sealed);
  }

  String decode(String encoded) throws GeneralSecurityException {
    String[] parts = encoded.startsWith(PREFIX) ? encoded.substring(PREFIX.length()).split(":") : new String[0];
    if (parts.length != 3) {
      throw new GeneralSecurityException("not a password encoded by " + SslConfig.PASSWORD_ENCODER_SECRET);
    }
    Base64.Decoder b64 = Base64.getDecoder();
    Cipher cipher = cipher(Cipher.DECRYPT_MODE, b64.decode(parts[0]), b64.decode(parts[1]));
    return new String(cipher.doFinal(b64.decode(parts[2])), StandardCharsets.UTF_8);
  }

  private Cipher cipher(int mode, byte[] salt, byte[] iv) throws GeneralSecurityException {
    byte[] key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
        .generateSecret(new PBEKeySpec(secret, salt, ITERATIONS, 128)).getEncoded();
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
    return cipher;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
