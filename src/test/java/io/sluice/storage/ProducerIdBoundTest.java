package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.ProducerIdLimitException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bound on the idempotent producers a partition remembers ({@code producer.id.max.per.partition}): a client
 * stamping each batch with a new producer id must not fill the heap, on the leader, a follower or a restart, and the
 * producers already known keep writing each record once.
 */
class ProducerIdBoundTest {
  private static final int MAX = 3;

  @TempDir
  Path dir;
  private LogFixture fixture;

  @AfterEach
  void close() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private LocalPartitionLog open(LogConfig config) {
    fixture = new LogFixture(dir, config);
    return fixture.open();
  }

  private static LogConfig bounded(int max) {
    return LogFixture.smallSegments(1 << 20).withProducerIdMaxPerPartition(max);
  }

  private static ByteBuffer batch(long pid, int baseSequence) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(pid, (short) 0, baseSequence)
        .append(1_000, null, ("p" + pid + "s" + baseSequence).getBytes(), null).build();
  }

  /** As a leader wrote it: at {@code offset}, for a follower's append. */
  private static ByteBuffer at(long offset, ByteBuffer batch) {
    RecordBatch.wrap(batch).setBaseOffset(offset);
    return batch;
  }

  @Test
  void aFloodOfNewProducerIdsStopsAtTheDefaultBoundAndTheNextIsRefusedRetriablyWritingNothing() {
    LocalPartitionLog log = open(LogFixture.smallSegments(16 << 20));
    int max = LogConfig.DEFAULT_PRODUCER_ID_MAX_PER_PARTITION;
    for (int pid = 0; pid < max; pid++) {
      log.append(batch(pid, 0), 0);
    }
    assertThat(log.producerCount()).isEqualTo(max);

    assertThatThrownBy(() -> log.append(batch(max, 0), 0)).isInstanceOfSatisfying(ProducerIdLimitException.class,
        e -> {
          assertThat(e.errorCode()).isEqualTo(ErrorCode.PRODUCER_ID_LIMIT_EXCEEDED);
          assertThat(e.retriable()).isTrue();
          assertThat(e.errorCode().httpStatus()).isEqualTo(429);
        }).hasMessageContaining("producer.id.max.per.partition is " + max);
    assertThat(log.producerCount()).isEqualTo(max);
    assertThat(log.logEndOffset()).isEqualTo(max);
  }

  @Test
  void atTheBoundKnownProducersKeepWritingAndTheirRetriesAreStillAnsweredNotWrittenAgain() {
    LocalPartitionLog log = open(bounded(MAX));
    for (int pid = 1; pid <= MAX; pid++) {
      log.append(batch(pid, 0), 0);
    }
    assertThat(log.append(batch(1, 1), 0).firstOffset()).isEqualTo(3);
    assertThat(log.append(batch(2, 0), 0).batchBaseOffsets()).as("a retry, answered").containsExactly(1L);
    // A request adding one unknown producer to known ones is refused whole.
    assertThatThrownBy(() -> log.append(TestBatches.concat(batch(3, 1), batch(9, 0)), 0))
        .isInstanceOf(ProducerIdLimitException.class);
    assertThat(log.logEndOffset()).isEqualTo(4);
    // Batches without a producer id are not idempotent and take no room.
    log.append(new RecordBatchBuilder(CompressionType.NONE).append(1_000, null, new byte[1], null).build(), 0);
    assertThat(log.logEndOffset()).isEqualTo(5);
  }

  @Test
  void theBrokersPartitionsTogetherRememberAtMostTheBrokerBoundAndALeaderRefusesOneMore() {
    // 20,000 a partition bounds nothing per broker: 225 partitions of them are a gigabyte of heap.
    LocalPartitionLog first = open(bounded(100));
    fixture.manager.producerIdMaxPerBroker(5);
    java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
    fixture.manager.producerIdBudget().clock(nanos::get);
    LocalPartitionLog second = (LocalPartitionLog) fixture.manager.openLog(
        new io.sluice.api.TopicPartition("other", 0), bounded(100), fixture.clock::get);
    for (int pid = 1; pid <= 3; pid++) {
      first.append(batch(pid, 0), 0);
    }
    second.append(batch(4, 0), 0);
    second.append(batch(5, 0), 0);

    assertThatThrownBy(() -> second.append(batch(6, 0), 0)).isInstanceOfSatisfying(ProducerIdLimitException.class,
        e -> assertThat(e.retriable()).isTrue()).hasMessageContaining("producer.id.max.per.broker is 5");
    assertThatThrownBy(() -> first.append(batch(6, 0), 0)).isInstanceOf(ProducerIdLimitException.class);
    assertThat(second.append(batch(4, 1), 0).firstOffset()).as("a known producer goes on").isEqualTo(2);
    assertThat(second.logEndOffset()).isEqualTo(3);

    // A follower cannot refuse what its leader wrote: it forgets its own partition's idlest producer instead, going by
    // a count at most CACHE_NANOS old (the leader appends above counted 4 then).
    nanos.addAndGet(ProducerIdBudget.CACHE_NANOS + 1);
    second.appendAsFollower(at(3, batch(7, 0)));
    assertThat(second.producerCount()).isEqualTo(2);
    assertThat(first.producerCount() + second.producerCount()).isEqualTo(5);

    fixture.clock.addAndGet(LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    assertThat(first.expireProducers(fixture.clock.get())).isEqualTo(3);
    assertThat(second.append(batch(6, 0), 0).firstOffset()).as("expiry elsewhere made room").isEqualTo(4);
  }

  @Test
  void expiryMakesRoomForANewProducer() {
    LocalPartitionLog log = open(bounded(1));
    log.append(batch(1, 0), 0);
    assertThatThrownBy(() -> log.append(batch(2, 0), 0)).isInstanceOf(ProducerIdLimitException.class);
    fixture.clock.addAndGet(LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    assertThat(log.expireProducers(fixture.clock.get())).isEqualTo(1);
    assertThat(log.append(batch(2, 0), 0).firstOffset()).isEqualTo(1);
  }

  @Test
  void aFollowerForgetsTheProducerThatAppendedLeastRecentlyAndKeepsTheOthersForWhenItLeads() {
    LocalPartitionLog log = open(bounded(MAX));
    log.appendAsFollower(at(0, batch(1, 0)));
    log.appendAsFollower(at(1, batch(2, 0)));
    log.appendAsFollower(at(2, batch(3, 0)));
    log.appendAsFollower(at(3, batch(1, 1))); // producer 1 appended again: producer 2 is now the idlest
    log.appendAsFollower(at(4, batch(4, 0)));
    log.appendAsFollower(at(5, batch(5, 0)));
    assertThat(log.producerCount()).isEqualTo(MAX);

    // Leading now: producers 1, 4 and 5 are known (their retries answered), 2 and 3 forgotten.
    assertThat(log.append(batch(1, 1), 0).batchBaseOffsets()).containsExactly(3L);
    assertThat(log.append(batch(5, 0), 0).batchBaseOffsets()).containsExactly(5L);
    assertThat(log.append(batch(4, 1), 0).firstOffset()).isEqualTo(6);
    assertThatThrownBy(() -> log.append(batch(2, 1), 0)).isInstanceOf(ProducerIdLimitException.class);
  }

  @Test
  void aRestartOfALogWithMoreProducersThanTheBoundRemembersTheNewestOnly() {
    LocalPartitionLog log = open(LogFixture.smallSegments(1 << 20));
    for (int pid = 1; pid <= 5; pid++) {
      log.append(batch(pid, 0), 0);
    }
    assertThat(log.producerCount()).isEqualTo(5);
    fixture.manager.close();
    fixture.config = bounded(MAX);
    LocalPartitionLog reopened = fixture.open();

    assertThat(reopened.producerCount()).isEqualTo(MAX);
    assertThat(reopened.append(batch(5, 0), 0).batchBaseOffsets()).as("the newest, remembered").containsExactly(4L);
    assertThat(reopened.append(batch(3, 1), 0).firstOffset()).isEqualTo(5);
    // Producer 1 is forgotten, and the partition is full: it waits for room as a new producer would.
    assertThatThrownBy(() -> reopened.append(batch(1, 1), 0)).isInstanceOf(ProducerIdLimitException.class);
  }

  @Test
  void aRestartLooksInOlderSegmentsForTheProducersItKnowsOnlySoOthersThereDoNotCrowdThemOut() {
    fixture = new LogFixture(dir, LogFixture.smallSegments(1024));
    LocalPartitionLog log = fixture.open();
    log.append(big(0), 0);
    for (int pid = 1; pid <= 3; pid++) {
      log.append(batch(pid, 0), 0); // after producer 7's first batch, in the same segment
    }
    for (int seq = 1; seq <= 3; seq++) {
      log.append(big(seq), 0); // one segment each: the rebuild's last two hold seq 2 and 3 only
    }
    assertThat(log.segmentCount()).isEqualTo(4);
    fixture.manager.close();
    fixture.config = LogFixture.smallSegments(1024).withProducerIdMaxPerPartition(2);
    LocalPartitionLog reopened = fixture.open();
    assertThat(reopened.append(big(0), 0).batchBaseOffsets()).as("a retry of the oldest of the window")
        .containsExactly(0L);
  }

  /** Producer 7's one-record batch with sequence {@code seq}, larger than half a 1 KiB segment. */
  private static ByteBuffer big(int seq) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(7, (short) 0, seq)
        .append(1_000, null, new byte[600], null).build();
  }
}
