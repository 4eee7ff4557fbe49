package io.sluice.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JwksTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aReadingThatNeverEndsIsAbandonedKeepingTheLastGoodKeysAndTheNextReadingGoesOut() throws Exception {
    try (TestIdentityProvider idp = new TestIdentityProvider()) {
      idp.serve(idp.newKey("k1"));
      // Refreshes an hour apart: only the readings the test asks for happen. The bound is far below the default 15 s
      // but far above an answered reading's time on a loaded machine, which the first and last readings need.
      Jwks jwks = new Jwks(vertx, idp.jwksUrl(), 3_600_000, 100, 1_000, 5_000);
      try {
        jwks.start().await(30, TimeUnit.SECONDS);
        assertThat(jwks.keys().kids()).containsExactly("k1");

        idp.silent(true);
        int before = idp.reads();
        Throwable abandoned = catchThrowable(() -> jwks.refreshFor("k2").await(30, TimeUnit.SECONDS));
        assertThat(abandoned).isInstanceOf(TimeoutException.class);
        assertThat(idp.reads()).isEqualTo(before + 1);
        assertThat(jwks.keys().kids()).containsExactly("k1");

        // The held request is still open on the provider's side: the next reading does not wait for it.
        idp.silent(false);
        idp.serve(idp.newKey("k3"));
        assertThat(jwks.refreshFor("k3").await(30, TimeUnit.SECONDS).kids()).containsExactlyInAnyOrder("k1", "k3");
        assertThat(idp.reads()).isEqualTo(before + 2);
        assertThat(jwks.keys().kids()).containsExactlyInAnyOrder("k1", "k3");
      } finally {
        jwks.stop();
      }
    }
  }
}
