package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Promise;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What waits for the broker's first readiness (the connect worker) starts only once the broker has started and has
 * no reason left not to be ready (a cluster without a live controller yet), not at the start's end: the worker's
 * plugin extraction and scan took CPU from the steps between the two (issue 16).
 */
class FirstReadyTest {
  private final Promise<Void> started = Promise.promise();
  private final AtomicReference<Optional<String>> reason =
      new AtomicReference<>(Optional.of("The cluster has no controller (being elected)"));
  private final FirstReady firstReady = new FirstReady(started.future(), reason::get);

  @Test
  void aStartedBrokerWithoutAControllerIsNotReadyUntilACheckFindsNoReasonLeft() {
    started.complete();
    assertThat(firstReady.future().isComplete()).isFalse();
    assertThat(firstReady.check()).isFalse();

    reason.set(Optional.empty());
    assertThat(firstReady.check()).isTrue();
    assertThat(firstReady.future().succeeded()).isTrue();
  }

  @Test
  void noReasonBeforeTheStartHasCompletedIsNotReadyYet() {
    reason.set(Optional.empty());
    assertThat(firstReady.check()).isFalse();
    started.complete(); // the start's completion checks at once
    assertThat(firstReady.future().succeeded()).isTrue();
  }

  @Test
  void aFailedStartOrAStopFailsIt() {
    started.fail("ZooKeeper did not start");
    assertThat(firstReady.future().failed()).isTrue();

    FirstReady stopped = new FirstReady(Promise.promise().future(), Optional::empty);
    stopped.stopped("stopped");
    assertThat(stopped.future().failed()).isTrue();
  }
}
