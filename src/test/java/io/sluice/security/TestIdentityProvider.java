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
 * RSA keys the test generates, which can rotate keys or be down; tokens are signed through vertx-auth-jwt. As a client
 * sees one, it also has a token endpoint ({@code POST /token}, the client-credentials grant) for the clients
 * {@link #client} registers, which can fail a number of requests with 503.
 */
final class TestIdentityProvider implements AutoCloseable {
  static final String ISSUER = "https://idp.test";
  private final Vertx vertx = Vertx.vertx();
  private final List<SigningKey> served = new CopyOnWriteArrayList<>();
  private final AtomicInteger reads = new AtomicInteger();
  private volatile boolean down;
  private volatile boolean silent;
  private final HttpServer server;
  private final java.util.Map<String, String> clients = new java.util.concurrent.ConcurrentHashMap<>();
  private final AtomicInteger tokenRequests = new AtomicInteger();
  private final AtomicInteger failing = new AtomicInteger();
  private final AtomicInteger askedWhileValid = new AtomicInteger();
  private volatile long lastValidUntilMs;
  private volatile SigningKey tokenKey;
  private volatile long tokenTtlSeconds = 300;
  private volatile Long expiresIn;
  private volatile String lastAuthorization;
  private volatile String lastForm;

  TestIdentityProvider() throws Exception {
    server = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/token")) {
        req.body().onSuccess(body -> token(req, body.toString()));
        return;
      }
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

  /** The client-credentials grant: a client's token is signed by {@code key} for {@code sub} = its id. */
  private void token(io.vertx.core.http.HttpServerRequest req, String form) {
    tokenRequests.incrementAndGet();
    long now = System.currentTimeMillis();
    if (now < lastValidUntilMs) {
      askedWhileValid.incrementAndGet();
    }
    lastAuthorization = req.getHeader("Authorization");
    lastForm = form;
    if (failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      req.response().setStatusCode(503).end();
      return;
    }
    String[] idSecret = basic(lastAuthorization);
    if (idSecret == null || !idSecret[1].equals(clients.get(idSecret[0]))) {
      req.response().setStatusCode(401).putHeader("Content-Type", "application/json").end(new JsonObject()
          .put("error", "invalid_client").put("error_description", "client authentication failed").encode());
      return;
    }
    Long lifetime = expiresIn;
    lastValidUntilMs = now + 1000 * (lifetime != null ? lifetime : tokenTtlSeconds);
    JsonObject answer = new JsonObject().put("access_token", tokenKey.sign(claims(idSecret[0], tokenTtlSeconds)))
        .put("token_type", "Bearer");
    if (lifetime != null) {
      answer.put("expires_in", lifetime);
    }
    req.response().putHeader("Content-Type", "application/json").end(answer.encode());
  }

  /** RFC 6749 2.3.1: Basic credentials of a form-urlencoded id and secret. */
  private static String[] basic(String header) {
    if (header == null || !header.startsWith("Basic ")) {
      return null;
    }
    String pair = new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8);
    int colon = pair.indexOf(':');
    return colon < 0 ? null : new String[] {java.net.URLDecoder.decode(pair.substring(0, colon), StandardCharsets.UTF_8),
        java.net.URLDecoder.decode(pair.substring(colon + 1), StandardCharsets.UTF_8)};
  }

  String tokenUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/token";
  }

  /** Registers a client of the token endpoint, whose tokens {@code key} signs. */
  void client(String id, String secret, SigningKey key) {
    clients.put(id, secret);
    tokenKey = key;
  }

  /** The lifetime of the tokens' JWTs, and the {@code expires_in} the endpoint answers (null: none). */
  void tokens(long ttlSeconds, Long expiresInSeconds) {
    tokenTtlSeconds = ttlSeconds;
    expiresIn = expiresInSeconds;
    lastValidUntilMs = 0;
  }

  /** The next {@code n} token requests are answered 503. */
  void failTokenRequests(int n) {
    failing.set(n);
  }

  int tokenRequests() {
    return tokenRequests.get();
  }

  /** Token requests made while the last token given (by its {@code expires_in}, else its JWT's) was valid. */
  int askedWhileValid() {
    return askedWhileValid.get();
  }

  String lastAuthorization() {
    return lastAuthorization;
  }

  String lastForm() {
    return lastForm;
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
