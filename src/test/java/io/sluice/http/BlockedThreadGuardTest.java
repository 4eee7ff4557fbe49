package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Proves the guard of {@link HttpApiTestBase} works: a blocked event loop is seen (then forgiven here). */
class BlockedThreadGuardTest extends HttpApiTestBase {

  @Test
  void blockingTheEventLoopIsDetected() throws Exception {
    blocksOnPurpose = true;
    CountDownLatch seen = new CountDownLatch(1);
    // Blocked until the guard has seen it, however late a loaded machine lets the checker look: waiting on a latch
    // is blocking, not waiting for a CPU, so the starvation allowance must not forgive it.
    vertx.runOnContext(v -> {
      try {
        seen.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      FetchEndpointTest.eventually(() -> !blocked.isEmpty());
    } finally {
      seen.countDown();
    }
    assertThat(blocked.get(0).thread().getName()).contains("eventloop");
  }
}
