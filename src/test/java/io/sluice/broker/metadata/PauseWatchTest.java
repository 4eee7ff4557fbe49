package io.sluice.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A stall longer than the threshold distrusts the session until a round trip confirms it; shorter ones do not. */
class PauseWatchTest {
  private final Vertx vertx = Vertx.vertx();
  private final AtomicLong now = new AtomicLong();
  private final List<Promise<Boolean>> confirmations = new ArrayList<>();
  private final PauseWatch watch = new PauseWatch(vertx, 2_000, () -> {
    Promise<Boolean> p = Promise.promise();
    confirmations.add(p);
    return p.future();
  }, now::get, 0);

  @AfterEach
  void close() {
    vertx.close();
  }

  private void advanceMs(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  void aStallLongerThanTheThresholdIsDistrustedUntilTheSessionIsConfirmed() {
    advanceMs(1_500);
    watch.tick();
    assertThat(watch.trusted()).as("a short stall").isTrue();
    assertThat(confirmations).isEmpty();

    advanceMs(7_000); // stopped: the timer did not run, a request is handled first
    assertThat(watch.trusted()).isFalse();
    watch.tick();
    assertThat(watch.trusted()).isFalse();
    assertThat(confirmations).as("one round trip at a time").hasSize(1);

    confirmations.get(0).complete(true);
    assertThat(watch.trusted()).isTrue();
  }

  @Test
  void aFailedConfirmationKeepsTheSessionDistrusted() {
    advanceMs(5_000);
    assertThat(watch.trusted()).isFalse();
    confirmations.get(0).complete(false);
    assertThat(watch.trusted()).isFalse();
  }
}
