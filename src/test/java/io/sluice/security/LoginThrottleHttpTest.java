package io.sluice.security;

import static io.sluice.security.BasicAuthenticationTest.basic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code authentication.max.pending.verifications} over HTTP: with the password-check pool busy (the test holds its
 * threads, the pool being shared by name) and one check already waiting, the next login is answered 429 (10110) at
 * once, without PBKDF2, and the waiting one is answered once the pool frees. VerificationQueue's own test checks the
 * bound; this one that a listener answers it.
 */
class LoginThrottleHttpTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  private Broker broker;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void aLoginPastThePendingBoundIsRefused429AtOnce() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.AUTHENTICATION_METHOD, "BASIC",
        BrokerConfig.AUTHENTICATION_MAX_PENDING_VERIFICATIONS, 1, BrokerConfig.STREAMS_ENABLED, false,
        BrokerConfig.HTTP_INSTANCES, 1)), GUARD, HttpListener::new);
    WorkerExecutor pool = broker.vertx().createSharedWorkerExecutor(ScramAuthentication.POOL, 2);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(2);
    for (int i = 0; i < 2; i++) {
      pool.executeBlocking(() -> {
        held.countDown();
        return release.await(60, TimeUnit.SECONDS);
      }, false);
    }
    assertThat(held.await(30, TimeUnit.SECONDS)).as("the pool's threads held").isTrue();
    try {
      // Unknown users are checked against a stand-in credential, so each login is a password check.
      List<CompletableFuture<HttpResponse<String>>> logins = List.of(login("mallory", "guess-1"),
          login("mallory", "guess-2"));
      HttpResponse<String> refused = (HttpResponse<String>) CompletableFuture.anyOf(logins.toArray(
          CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
      assertThat(new JsonObject(refused.body()).getInteger("error_code")).isEqualTo(10_110);
      release.countDown();
      for (CompletableFuture<HttpResponse<String>> login : logins) {
        HttpResponse<String> r = login.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isIn(401, 429);
      }
      assertThat(logins.stream().filter(f -> f.join().statusCode() == 401)).as("the waiting check answered").hasSize(1);
    } finally {
      release.countDown();
      pool.close();
    }
  }

  private CompletableFuture<HttpResponse<String>> login(String user, String password) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + "/topics"))
        .timeout(Duration.ofSeconds(60)).header("Authorization", basic(user, password)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
