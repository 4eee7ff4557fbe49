package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Kafka's client OAuth properties onto {@link ClientOptions}, and Kafka's rules for when a token is refreshed
 * ({@link LoginRefresh}): the window with its jitter, the buffer before expiry, the minimum period, and a lifetime
 * too short for both.
 */
class OAuthClientPropertiesTest {
  private static final String URL = "https://idp.example.com/oauth2/token";

  @Test
  void theTokenEndpointsPropertiesMakeAClientCredentialsGrant() {
    ClientOptions options = ClientOptions.bootstrap("http://127.0.0.1:1").properties(Map.of(
        "sasl.oauthbearer.token.endpoint.url", URL, "sasl.oauthbearer.client.credentials.client.id", "app",
        "sasl.oauthbearer.client.credentials.client.secret", "pw", "sasl.oauthbearer.scope", "produce",
        "sasl.login.connect.timeout.ms", "1500", "sasl.login.read.timeout.ms", "2500",
        "sasl.login.retry.backoff.ms", "50", "sasl.login.retry.backoff.max.ms", "5000",
        "sasl.login.refresh.window.factor", "0.9", "sasl.login.refresh.buffer.seconds", "30"));
    OAuthClientCredentials grant = options.oauthClientCredentials();
    assertThat(grant.tokenEndpoint()).hasToString(URL);
    assertThat(grant.clientId()).isEqualTo("app");
    assertThat(grant.clientSecret()).isEqualTo("pw");
    assertThat(grant.scope()).isEqualTo("produce");
    assertThat(grant.connectTimeoutMs()).isEqualTo(1500);
    assertThat(grant.readTimeoutMs()).isEqualTo(2500);
    assertThat(grant.retryBackoffMs()).isEqualTo(50);
    assertThat(grant.retryBackoffMaxMs()).isEqualTo(5000);
    assertThat(grant.toString()).doesNotContain("pw");
    assertThat(options.loginRefresh()).isEqualTo(new LoginRefresh(0.9, 0.05, 60, 30));
  }

  @Test
  void theOptionsKeepACopyOfTheGrantThatLaterChangesDoNotReach() {
    OAuthClientCredentials given = new OAuthClientCredentials(URL, "app", "pw").scope("produce").readTimeoutMs(2500);
    ClientOptions options = ClientOptions.bootstrap("http://127.0.0.1:1").oauthClientCredentials(given);
    given.scope("admin").readTimeoutMs(1);
    options.oauthClientCredentials().scope("admin").retryBackoffMs(1);

    OAuthClientCredentials kept = options.oauthClientCredentials();
    assertThat(kept.scope()).isEqualTo("produce");
    assertThat(kept.readTimeoutMs()).isEqualTo(2500);
    assertThat(kept.retryBackoffMs()).isEqualTo(100);
    assertThat(kept.clientSecret()).isEqualTo("pw");
  }

  @Test
  void theClientIdSecretAndScopeMayComeFromTheJaasConfig() {
    ClientOptions options = ClientOptions.bootstrap("http://127.0.0.1:1").properties(Map.of(
        "sasl.oauthbearer.token.endpoint.url", URL, "sasl.jaas.config",
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"app\""
            + " clientSecret=\"p\\\"w d\" scope=read;"));
    assertThat(options.oauthClientCredentials().clientId()).isEqualTo("app");
    assertThat(options.oauthClientCredentials().clientSecret()).isEqualTo("p\"w d");
    assertThat(options.oauthClientCredentials().scope()).isEqualTo("read");
  }

  @Test
  void anEndpointWithoutClientCredentialsOrABadSettingIsRefused() {
    assertThatThrownBy(() -> ClientOptions.bootstrap("http://127.0.0.1:1").properties(Map.of(
        "sasl.oauthbearer.token.endpoint.url", URL))).hasMessageContaining("client.credentials.client.id");
    assertThatThrownBy(() -> ClientOptions.bootstrap("http://127.0.0.1:1").properties(Map.of(
        "sasl.login.refresh.window.factor", "0.3"))).hasMessageContaining("sasl.login.refresh.window.factor");
    assertThatThrownBy(() -> ClientOptions.bootstrap("http://127.0.0.1:1").properties(Map.of(
        "sasl.oauthbearer.token.endpoint.url", "ftp://idp", "sasl.oauthbearer.client.credentials.client.id", "a",
        "sasl.oauthbearer.client.credentials.client.secret", "b"))).hasMessageContaining("http:// or https://");
    assertThatThrownBy(() -> ClientOptions.bootstrap("http://127.0.0.1:1").properties(Map.of(
        "sasl.oauthbearer.token.endpoint.url", URL, "sasl.oauthbearer.client.credentials.client.id", "a",
        "sasl.oauthbearer.client.credentials.client.secret", "b", "sasl.login.read.timeout.ms", "soon")))
        .hasMessageContaining("sasl.login.read.timeout.ms");
  }

  @Test
  void aTokenIsRefreshedInTheWindowWithItsJitter() {
    LoginRefresh kafka = LoginRefresh.DEFAULTS;
    long hour = 3_600_000;
    assertThat(kafka.refreshAtMs(0, hour, 0, 0)).isEqualTo((long) (hour * 0.8));
    assertThat(kafka.refreshAtMs(0, hour, 0, 0.999)).isBetween((long) (hour * 0.849), (long) (hour * 0.85));
  }

  @Test
  void theBufferBeforeExpiryAndTheMinimumPeriodBound() {
    LoginRefresh late = new LoginRefresh(1.0, 0, 60, 300);
    long hour = 3_600_000;
    assertThat(late.refreshAtMs(0, hour, 0, 0)).isEqualTo(hour - 300_000);
    // A token issued long ago (start far back) is not refreshed sooner than the minimum period from now.
    LoginRefresh early = new LoginRefresh(0.5, 0, 600, 0);
    assertThat(early.refreshAtMs(0, 2 * hour, hour - 1000, 0)).isEqualTo(hour - 1000 + 600_000);
  }

  @Test
  void aLifetimeShorterThanBothBuffersIsRefreshedAtTheWindowOfWhatIsLeft() {
    long start = 1_000_000;
    assertThat(LoginRefresh.DEFAULTS.refreshAtMs(start, start + 100_000, start, 0)).isEqualTo(start + 80_000);
  }
}
