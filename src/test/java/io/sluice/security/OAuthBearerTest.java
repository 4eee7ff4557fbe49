package io.sluice.security;

import static io.sluice.security.TestIdentityProvider.claims;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Authentication.Verified;
import io.sluice.api.Principal;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.OAuthBearerConfig;
import io.sluice.config.OAuthBearerConfig.Method;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer tokens checked as Kafka's OAUTHBEARER validator checks them, against a loopback identity provider's JWKS:
 * the principal from the configured claim, each invalid token refused naming why, a rotated key followed after one
 * JWKS reading, the last good keys kept while the provider is down.
 */
class OAuthBearerTest {
  private final Vertx vertx = Vertx.vertx();
  private TestIdentityProvider idp;
  private TestIdentityProvider.SigningKey k1;
  private OAuthBearer bearer;

  @BeforeEach
  void start() throws Exception {
    idp = new TestIdentityProvider();
    k1 = idp.newKey("k1");
    idp.serve(k1);
    bearer = started(Map.of());
  }

  private OAuthBearer started(Map<String, Object> extra) throws Exception {
    Map<String, Object> values = new HashMap<>(Map.of(BrokerConfig.AUTHENTICATION_METHOD, "OAUTHBEARER",
        OAuthBearerConfig.JWKS_URL, idp.jwksUrl(), OAuthBearerConfig.EXPECTED_AUDIENCE, "kafka, sluice",
        OAuthBearerConfig.EXPECTED_ISSUER, TestIdentityProvider.ISSUER));
    values.putAll(extra);
    OAuthBearer b = new OAuthBearer(vertx, BrokerConfig.of(values));
    b.start().await(30, TimeUnit.SECONDS);
    return b;
  }

  @AfterEach
  void stop() throws Exception {
    bearer.stop();
    idp.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private Verified verify(String token) throws Exception {
    return bearer.verify(token).await(30, TimeUnit.SECONDS);
  }

  private String refusal(String token) {
    Future<Verified> f = bearer.verify(token);
    Throwable t = Assertions.catchThrowable(() -> f.await(30, TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) t).errorCode()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
    return t.getMessage();
  }

  @Test
  void aValidTokenNamesTheUserOfItsSubClaim() throws Exception {
    Verified verified = verify(k1.sign(claims("alice", 300)));
    assertThat(verified.principal()).isEqualTo(new Principal("User", "alice"));

    OAuthBearer byEmail = started(Map.of(OAuthBearerConfig.SUB_CLAIM_NAME, "email"));
    try {
      assertThat(byEmail.verify(k1.sign(claims("alice", 300).put("email", "alice@example.com")))
          .await(30, TimeUnit.SECONDS).principal()).isEqualTo(new Principal("User", "alice@example.com"));
    } finally {
      byEmail.stop();
    }
  }

  @Test
  void eachInvalidTokenIsRefusedNamingWhy() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    assertThat(refusal(k1.sign(claims("alice", 300).put("exp", now - 31)))).contains("expired");
    assertThat(refusal(k1.sign(claims("alice", 300).put("nbf", now + 600)))).contains("not valid before");
    assertThat(refusal(k1.sign(claims("alice", 300).put("aud", "other")))).contains("audience", "other");
    assertThat(refusal(k1.sign(claims("alice", 300).put("iss", "https://evil.test")))).contains("issuer",
        "evil.test");
    assertThat(refusal(k1.sign(claims("alice", 300).put("scope", 7)))).contains("'scope'");
    JsonObject noSub = claims("alice", 300);
    noSub.remove("sub");
    assertThat(refusal(k1.sign(noSub))).contains("'sub'");
    JsonObject noExp = claims("alice", 300);
    noExp.remove("exp");
    assertThat(refusal(k1.sign(noExp))).contains("'exp'");
    assertThat(refusal(TestIdentityProvider.unsigned(claims("alice", 300)))).contains("alg=none");
    TestIdentityProvider.SigningKey impostor = idp.newKey("k1");
    assertThat(refusal(impostor.sign(claims("alice", 300)))).contains("signature");
    assertThat(refusal("not.a.jwt")).contains("Invalid bearer token");
  }

  @Test
  void theClockSkewIsAllowedEitherWay() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    assertThat(verify(k1.sign(claims("alice", 300).put("exp", now - 10))).principal().name()).isEqualTo("alice");
    assertThat(verify(k1.sign(claims("alice", 300).put("nbf", now + 10))).principal().name()).isEqualTo("alice");
  }

  @Test
  void aRotatedKeyIsAcceptedAfterOneJwksReading() throws Exception {
    int before = idp.reads();
    TestIdentityProvider.SigningKey k2 = idp.newKey("k2");
    idp.serve(k2);
    assertThat(verify(k2.sign(claims("bob", 300))).principal().name()).isEqualTo("bob");
    assertThat(idp.reads()).isEqualTo(before + 1);
    assertThat(verify(k2.sign(claims("bob", 300))).principal().name()).isEqualTo("bob");
    assertThat(idp.reads()).isEqualTo(before + 1);
  }

  @Test
  void anUnknownKeyIdReadsTheJwksOnceAMinuteAtMost() throws Exception {
    TestIdentityProvider.SigningKey stranger = idp.newKey("k-unknown");
    int before = idp.reads();
    assertThat(refusal(stranger.sign(claims("mallory", 300)))).contains("k-unknown", "does not hold");
    assertThat(refusal(stranger.sign(claims("mallory", 300)))).contains("k-unknown");
    assertThat(idp.reads()).isEqualTo(before + 1);
  }

  @Test
  void theLastGoodKeysStayInUseWhileTheProviderIsDown() throws Exception {
    idp.down(true);
    int before = idp.reads();
    TestIdentityProvider.SigningKey k3 = idp.newKey("k3");
    assertThat(refusal(k3.sign(claims("carol", 300)))).contains("k3");
    assertThat(idp.reads()).isEqualTo(before + 1);
    assertThat(verify(k1.sign(claims("alice", 300))).principal().name()).isEqualTo("alice");
  }

  @Test
  void aProviderDownAtTheStartRefusesTokensUntilItAnswers() throws Exception {
    idp.down(true);
    OAuthBearer late = started(Map.of(OAuthBearerConfig.JWKS_RETRY_BACKOFF_MS, 10,
        OAuthBearerConfig.JWKS_RETRY_BACKOFF_MAX_MS, 50));
    try {
      Throwable t = Assertions.catchThrowable(() -> late.verify(k1.sign(claims("alice", 300)))
          .await(30, TimeUnit.SECONDS));
      assertThat(t).hasMessageContaining("could not be read yet");
      idp.down(false);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> late.verify(k1.sign(claims("alice", 300))).await(30, TimeUnit.SECONDS) != null);
    } finally {
      late.stop();
    }
  }

  @Test
  void aJwksFileServesAsWellAsAnUrl(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("jwks.json");
    Files.writeString(file, new JsonObject().put("keys", new io.vertx.core.json.JsonArray().add(k1.jwk())).encode());
    OAuthBearer fromFile = started(Map.of(OAuthBearerConfig.JWKS_URL, file.toUri().toString()));
    try {
      assertThat(fromFile.verify(k1.sign(claims("alice", 300))).await(30, TimeUnit.SECONDS).principal().name())
          .isEqualTo("alice");
    } finally {
      fromFile.stop();
    }
  }

  @Test
  void authenticationMethodTakesAListAndOauthbearerNeedsAJwks() {
    assertThat(OAuthBearerConfig.methods("NONE")).isEmpty();
    assertThat(OAuthBearerConfig.methods("basic, OAUTHBEARER")).isEqualTo(Set.of(Method.BASIC, Method.OAUTHBEARER));
    Assertions.assertThatThrownBy(() -> BrokerConfig.of(Map.of(BrokerConfig.AUTHENTICATION_METHOD, "BASIC,LDAP")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("LDAP");
    Assertions.assertThatThrownBy(() -> BrokerConfig.of(Map.of(BrokerConfig.AUTHENTICATION_METHOD, "OAUTHBEARER")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(OAuthBearerConfig.JWKS_URL);
    Assertions.assertThatThrownBy(() -> BrokerConfig.of(Map.of(OAuthBearerConfig.JWKS_URL, "ftp://idp/jwks")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("https://");
  }
}
