package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.TopicPartition;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The sink task's thread sees records and rebalance events in the order the consumer produced them. The old runner
 * kept events in a second queue drained before each batch, so a revocation reported before records of the partition's
 * new assignment was applied after those records: it forgot their offsets, and a buffering sink's tail then waited
 * for a flush that never came (JdbcSinkCrashIT's "rows one round behind, task RUNNING").
 */
class SinkInboxTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);

  private static ConsumerRecord rec(long offset) {
    return rec(0, offset);
  }

  private static ConsumerRecord rec(int partition, long offset) {
    return new ConsumerRecord("t", partition, offset, 0L, null, new byte[0], List.of());
  }

  @Test
  void aBatchNeverSpansARebalanceAndEventsComeInTheirPlace() throws Exception {
    SinkInbox inbox = new SinkInbox();
    inbox.record(rec(1, 10));
    inbox.record(rec(1, 11));
    inbox.rebalance(true, Set.of(P0));
    inbox.rebalance(false, Set.of(P0));
    inbox.record(rec(5));
    inbox.record(rec(6));

    assertThat(inbox.take(100, 0)).extracting(o -> ((ConsumerRecord) o).offset()).containsExactly(10L, 11L);
    assertThat(inbox.take(100, 0)).containsExactly(new SinkInbox.Rebalance(true, Set.of(P0)));
    assertThat(inbox.take(100, 0)).containsExactly(new SinkInbox.Rebalance(false, Set.of(P0)));
    assertThat(inbox.take(100, 0)).extracting(o -> ((ConsumerRecord) o).offset()).containsExactly(5L, 6L);
    assertThat(inbox.take(100, 0)).isEmpty();
  }

  @Test
  void aRevocationTakesOutTheRevokedPartitionsQueuedRecords() throws Exception {
    SinkInbox inbox = new SinkInbox();
    inbox.record(rec(10));
    inbox.record(rec(1, 7));
    inbox.record(rec(11));
    assertThat(inbox.rebalance(true, Set.of(P0))).isEqualTo(2);
    assertThat(inbox.take(100, 0)).extracting(o -> ((ConsumerRecord) o).partition()).containsExactly(1);
    assertThat(inbox.take(100, 0)).containsExactly(new SinkInbox.Rebalance(true, Set.of(P0)));
    assertThat(inbox.rebalance(false, Set.of(P0))).isZero();
  }

  @Test
  void takesAtMostMaxRecords() throws Exception {
    SinkInbox inbox = new SinkInbox();
    for (int i = 0; i < 5; i++) {
      inbox.record(rec(i));
    }
    assertThat(inbox.take(3, 0)).hasSize(3);
    assertThat(inbox.take(3, 0)).hasSize(2);
  }

  @Test
  void aFailedOrEndedConsumerFailsTheTake() {
    SinkInbox failed = new SinkInbox();
    failed.failed(new RuntimeException("boom"));
    assertThatThrownBy(() -> failed.take(10, 0)).hasMessageContaining("failed").hasRootCauseMessage("boom");
    SinkInbox ended = new SinkInbox();
    ended.ended();
    assertThatThrownBy(() -> ended.take(10, 0)).hasMessageContaining("closed");
  }
}
