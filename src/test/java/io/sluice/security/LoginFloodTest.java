package io.sluice.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.security.ScramCredential.Mechanism;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A flood of logins: the checks waiting for the PBKDF2 pool are bounded (past the bound a login is refused 429 at
 * once, without work), users who logged in before still pass without PBKDF2, and an unknown user's password is checked
 * against a credential costing what most users' cost.
 */
class LoginFloodTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void checksPastTheBoundAreRefusedAtOnceAndTheBoundFreesAsChecksEnd() throws Exception {
    WorkerExecutor pool = vertx.createSharedWorkerExecutor("login-flood-test", 1);
    VerificationQueue queue = new VerificationQueue(pool, 2);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> first = queue.submit(() -> release.await(30, TimeUnit.SECONDS) ? "first" : "timed out");
    Future<String> second = queue.submit(() -> "second");
    Future<String> third = queue.submit(() -> "third");
    assertThat(third.failed()).as("refused without waiting").isTrue();
    assertThat(((SluiceException) third.cause()).errorCode()).isEqualTo(ErrorCode.AUTHENTICATION_THROTTLED);
    assertThat(ErrorCode.AUTHENTICATION_THROTTLED.httpStatus()).isEqualTo(429);
    release.countDown();
    assertThat(first.await(30, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(second.await(30, TimeUnit.SECONDS)).isEqualTo("second");
    assertThat(queue.submit(() -> "after").await(30, TimeUnit.SECONDS)).isEqualTo("after");
    assertThat(queue.pending()).isZero();
  }

  @Test
  void aFailedCheckFreesItsPlaceToo() throws Exception {
    VerificationQueue queue = new VerificationQueue(vertx.createSharedWorkerExecutor("login-flood-test", 1), 1);
    Future<Object> failing = queue.submit(() -> {
      throw new IllegalStateException("boom");
    });
    CountDownLatch failed = new CountDownLatch(1);
    failing.onFailure(t -> failed.countDown());
    assertThat(failed.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(queue.submit(() -> "next").await(30, TimeUnit.SECONDS)).isEqualTo("next");
  }

  @Test
  void aRecentLoginPassesOnlyWithItsPasswordAndWhileItsCredentialIsCurrent() {
    RecentLogins recent = new RecentLogins();
    Object credential = new Object();
    assertThat(recent.matches("alice", "secret", credential)).isFalse();
    recent.remember("alice", "secret", credential);
    assertThat(recent.matches("alice", "secret", credential)).isTrue();
    assertThat(recent.matches("alice", "secret2", credential)).isFalse();
    assertThat(recent.matches("bob", "secret", credential)).isFalse();
    assertThat(recent.matches("alice", "secret", new Object())).as("a changed credential").isFalse();
  }

  @Test
  void anUnknownUsersDecoyCostsWhatMostUsersCredentialsCost() {
    ScramCredential at8192 = ScramCredential.create(Mechanism.SCRAM_SHA_512, "a", 8192);
    ScramCredential at4096 = ScramCredential.create(Mechanism.SCRAM_SHA_256, "b", 4096);
    List<CredentialStore.User> users = List.of(user(at8192), user(at8192), user(at4096));
    ScramCredential decoy = Decoy.like(users, 4096);
    assertThat(decoy.mechanism()).isEqualTo(Mechanism.SCRAM_SHA_512);
    assertThat(decoy.iterations()).isEqualTo(8192);
    assertThat(decoy.matches("a")).isFalse();
    ScramCredential none = Decoy.like(List.of(), 4096);
    assertThat(none.mechanism()).isEqualTo(Mechanism.SCRAM_SHA_256);
    assertThat(none.iterations()).as("the default users get").isEqualTo(ScramAuthentication.DEFAULT_ITERATIONS);
  }

  private static CredentialStore.User user(ScramCredential c) {
    return new CredentialStore.User(Map.of(c.mechanism(), c), 1);
  }
}
