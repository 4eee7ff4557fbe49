package io.sluice.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.RequestContext;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The gate's accounting of stream messages ({@link io.sluice.http.StreamQuota}), on an injected clock: a stream that
 * waits out each throttle time before its next message, as a paused WebSocket or a held consumer stream does, moves
 * about its quota's bytes per second over a long run (the same 780 KB sent 1 ms apart would be 1.3 MB/s).
 */
class StreamQuotaArithmeticTest {
  private static final RequestContext STREAM = RequestContext.anonymous("http", "127.0.0.1:1", "streamer");
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final ClientQuotas quotas = new ClientQuotas(11, 1_000, 100, now::get);
  private final QuotaGate gate = new QuotaGate(quotas);

  private void quota(String key, double value) {
    quotas.update(QuotaTable.of(Map.of(new QuotaEntity(null, "streamer"), Map.of(key, value))));
  }

  /** Sends {@code messages} of {@code bytes}, advancing the clock by each throttle time (and 1 ms a message). */
  private double heldRate(int messages, long bytes, boolean produce) {
    long start = now.get();
    for (int i = 0; i < messages; i++) {
      long throttle = produce ? gate.produced(STREAM, bytes) : gate.consumed(STREAM, bytes);
      now.addAndGet(Math.max(throttle, 0) + 1);
    }
    return messages * (double) bytes / ((now.get() - start) / 1000.0);
  }

  @Test
  void aProduceStreamHeldForEachThrottleTimeMovesItsQuotaOverALongRun() {
    quota("producer_byte_rate", 10_000);
    // 600 messages of 1,300 bytes: 780 KB, 78 s at the quota; the first burst rides on the 10 windows' floor.
    assertThat(heldRate(600, 1_300, true)).isBetween(10_000.0, 11_500.0);
  }

  @Test
  void aConsumeStreamHeldForEachThrottleTimeMovesItsQuotaOverALongRun() {
    quota("consumer_byte_rate", 10_000);
    assertThat(heldRate(600, 1_300, false)).isBetween(10_000.0, 11_500.0);
  }

  @Test
  void eachMessageIsARequestAndCommitsCountAsRequestsAlone() {
    quota("request_rate", 1);
    assertThat(gate.produced(STREAM, 1)).as("1 request over 10 s").isZero();
    assertThat(gate.consumed(STREAM, 1)).as("2 requests over 10 s").isZero();
    for (int i = 0; i < 8; i++) {
      gate.requested(STREAM);
    }
    assertThat(gate.requested(STREAM)).as("11 requests over 10 s: 1.1/s").isEqualTo(1_000);
  }

  @Test
  void withNoQuotaOrNoneForTheClientNothingIsCounted() {
    assertThat(gate.active()).isFalse();
    assertThat(gate.produced(STREAM, 1_000_000_000L)).isEqualTo(-1);
    quotas.update(QuotaTable.of(Map.of(new QuotaEntity(null, "someone-else"), Map.of("producer_byte_rate", 1.0))));
    assertThat(gate.produced(STREAM, 1_000_000_000L)).isEqualTo(-1);
    assertThat(gate.consumed(STREAM, 1_000_000_000L)).isEqualTo(-1);
    assertThat(quotas.sensorCount()).isZero();
  }
}
