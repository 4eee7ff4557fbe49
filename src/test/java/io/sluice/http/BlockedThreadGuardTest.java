package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Proves the guard of {@link HttpApiTestBase} works: a blocked event loop is seen (then forgiven here). */
class BlockedThreadGuardTest extends HttpApiTestBase {

  @Test
  void blockingTheEventLoopIsDetected() throws Exception {
    vertx.runOnContext(v -> {
      try {
        Thread.sleep(MAX_EVENT_LOOP_MS * 3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    FetchEndpointTest.eventually(() -> !blocked.isEmpty());
    assertThat(blocked.get(0).thread().getName()).contains("eventloop");
    blocked.clear();
  }
}
