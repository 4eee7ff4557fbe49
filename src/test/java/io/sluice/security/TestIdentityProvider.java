package io.sluice.security;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An identity provider as a broker sees one: a loopback HTTP server (port chosen by the system) serving a JWKS of
 * RSA keys the test generates, which can rotate keys or be down; tokens are signed through vertx-auth-jwt.
 */
final class TestIdentityProvider implements AutoCloseable {
  static final String ISSUER = "https://idp.test";
  private final Vertx vertx = Vertx.vertx();
  private final List<SigningKey> served = new CopyOnWriteArrayList<>();
  private final AtomicInteger reads = new AtomicInteger();
  private volatile boolean down;
  private volatile boolean silent;
  private final HttpServer server;

  TestIdentityProvider() throws Exception {
    server = vertx.createHttpServer().requestHandler(req -> {
      reads.incrementAndGet();
      if (silent) {
        return; // the request is held unanswered, its connection open, for as long as the provider lives
      }
      if (down) {
        req.response().setStatusCode(503).end();
        return;
      }
      JsonArray keys = new JsonArray();
      served.forEach(k -> keys.add(k.jwk()));
      req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("keys", keys).encode());
    }).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
  }

  String jwksUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/jwks";
  }

  /** How many times the JWKS was asked for (answered or not). */
  int reads() {
    return reads.get();
  }

  void down(boolean down) {
    this.down = down;
  }

  /** While true, requests are taken and never answered: a provider that hangs rather than fails. */
  void silent(boolean silent) {
    this.silent = silent;
  }

  void serve(SigningKey key) {
    served.add(key);
  }

  SigningKey newKey(String kid) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return new SigningKey(vertx, kid, generator.generateKeyPair());
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** Claims of a token for {@code sub}, valid now for {@code ttlSeconds}, of the test's issuer and audience. */
  static JsonObject claims(String sub, long ttlSeconds) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", sub).put("iss", ISSUER).put("aud", "sluice").put("iat", now)
        .put("exp", now + ttlSeconds).put("scope", "produce consume");
  }

  /** A token with {@code alg=none}: no library signs one, so it is put together here. */
  static String unsigned(JsonObject claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  /** An RSA key pair with its key id: its public JWK for the JWKS, and tokens it signs. */
  static final class SigningKey {
    private final String kid;
    private final KeyPair pair;
    private final JWTAuth signer;

    SigningKey(Vertx vertx, String kid, KeyPair pair) {
      this.kid = kid;
      this.pair = pair;
      String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(pair.getPrivate()
          .getEncoded()) + "\n-----END PRIVATE KEY-----\n";
      this.signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
          .setAlgorithm("RS256").setId(kid).setBuffer(pem)));
    }

    String sign(JsonObject claims) {
      return signer.generateToken(claims, new JWTOptions().setAlgorithm("RS256").setNoTimestamp(true));
    }

    JsonObject jwk() {
      RSAPublicKey key = (RSAPublicKey) pair.getPublic();
      return new JsonObject().put("kty", "RSA").put("kid", kid).put("use", "sig").put("alg", "RS256")
          .put("n", unsigned(key.getModulus())).put("e", unsigned(key.getPublicExponent()));
    }

    private static String unsigned(BigInteger value) {
      byte[] bytes = value.toByteArray();
      int skip = bytes.length > 1 && bytes[0] == 0 ? 1 : 0;
      return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOfRange(bytes, skip,
          bytes.length));
    }
  }
}
