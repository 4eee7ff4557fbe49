package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Acks;
import io.sluice.api.TopicPartition;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.storage.AppendResult;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader holds a producer's request that arrived ahead of its sequence until the batch it follows is written, with
 * the log's duplicate and sequence rules unchanged, and refuses it when the hold ends or the partition stops leading.
 */
class HeldAppendsTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final List<Integer> REPLICAS = List.of(1);
  private static final long PID = 9;
  /** Long enough that no test here depends on when a hold ends, unless it asks for a short one. */
  private static final long LONG_HOLD_MS = 60_000;

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private LogManager store;

  @AfterEach
  void close() throws Exception {
    get(vertx.close());
    if (store != null) {
      store.close();
    }
  }

  private PartitionVerticle deploy(long holdMs) throws Exception {
    store = LogManager.open(dir);
    WorkerExecutor storage = vertx.createSharedWorkerExecutor("test-storage", 2);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(1, dir.resolve(TP.dirName()),
        60_000, 5_000, (tp, next) -> Future.succeededFuture(true), ReplicaFetcher.Options.DEFAULT)
        .withReorderHoldMs(holdMs);
    PartitionVerticle pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT,
        new PartitionVerticle.Settings(1, 1, REPLICAS, REPLICAS, 1, 0), storage, 60_000, replication);
    get(vertx.deployVerticle(pv));
    return pv;
  }

  /** One batch of producer {@link #PID}, epoch 0, records named by their sequence. */
  private static ByteBuffer batch(int baseSequence, int records) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(PID, (short) 0, baseSequence);
    for (int i = 0; i < records; i++) {
      b.append(1_000, null, ("s" + (baseSequence + i)).getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  private List<String> log(PartitionVerticle pv) throws Exception {
    return TestBatches.offsetsAndValues(get(pv.fetch(0, 1 << 20, 1, 0)).readBytes());
  }

  @Test
  void batchesThatOvertakeTheirPredecessorAreWrittenAfterItInSequenceOrder() throws Exception {
    PartitionVerticle pv = deploy(LONG_HOLD_MS);
    Future<AppendResult> third = pv.append(batch(5, 1), Acks.LEADER);
    Future<AppendResult> second = pv.append(batch(3, 2), Acks.LEADER);
    Future<AppendResult> first = pv.append(batch(0, 3), Acks.LEADER);

    assertThat(get(first).batchBaseOffsets()).containsExactly(0L);
    assertThat(get(second).batchBaseOffsets()).containsExactly(3L);
    assertThat(get(third).batchBaseOffsets()).containsExactly(5L);
    assertThat(log(pv)).containsExactly("0=s0", "1=s1", "2=s2", "3=s3", "4=s4", "5=s5");
  }

  @Test
  void aResendOfAHeldBatchIsAnsweredWithTheOffsetsItWasWrittenAtAndWrittenOnce() throws Exception {
    PartitionVerticle pv = deploy(LONG_HOLD_MS);
    Future<AppendResult> held = pv.append(batch(2, 2), Acks.LEADER);
    Future<AppendResult> resent = pv.append(batch(2, 2), Acks.LEADER);
    Future<AppendResult> first = pv.append(batch(0, 2), Acks.LEADER);

    assertThat(get(first).batchBaseOffsets()).containsExactly(0L);
    assertThat(get(held).batchBaseOffsets()).containsExactly(2L);
    assertThat(get(resent).batchBaseOffsets()).containsExactly(2L);
    assertThat(log(pv)).containsExactly("0=s0", "1=s1", "2=s2", "3=s3");
    assertThat(get(pv.append(batch(0, 2), Acks.LEADER)).batchBaseOffsets()).as("still a duplicate")
        .containsExactly(0L);
  }

  @Test
  void aGapNothingFillsIsRefusedOutOfSequenceWhenTheHoldEndsAndNothingIsWritten() throws Exception {
    PartitionVerticle pv = deploy(50);
    assertRefused(pv.append(batch(4, 1), Acks.LEADER), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertThat(get(pv.offsets()).endOffset()).isZero();
    assertThat(get(pv.append(batch(0, 1), Acks.LEADER)).batchBaseOffsets()).containsExactly(0L);
  }

  @Test
  void aRetryTooOldToRecogniseIsRefusedAtOnceNotHeld() throws Exception {
    PartitionVerticle pv = deploy(LONG_HOLD_MS);
    for (int seq = 0; seq < 6; seq++) {
      get(pv.append(batch(seq, 1), Acks.LEADER));
    }
    assertRefused(pv.append(batch(0, 1), Acks.LEADER), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  }

  @Test
  void withoutAHoldABatchAheadIsRefusedAtOnce() throws Exception {
    PartitionVerticle pv = deploy(0);
    assertRefused(pv.append(batch(1, 1), Acks.LEADER), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    get(pv.append(batch(0, 1), Acks.LEADER));
    assertThat(log(pv)).containsExactly("0=s0");
  }

  @Test
  void beyondTheCapacityABatchAheadIsRefusedAtOnceAndTheHeldOnesAreWrittenWhenTheGapFills() throws Exception {
    PartitionVerticle pv = deploy(LONG_HOLD_MS);
    List<Future<AppendResult>> held = new ArrayList<>();
    for (int i = 0; i < HeldAppends.CAPACITY; i++) {
      held.add(pv.append(batch(1 + i, 1), Acks.LEADER));
    }
    assertRefused(pv.append(batch(1 + HeldAppends.CAPACITY, 1), Acks.LEADER),
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertThat(held).noneMatch(Future::isComplete);

    get(pv.append(batch(0, 1), Acks.LEADER));
    for (int i = 0; i < held.size(); i++) {
      assertThat(get(held.get(i)).batchBaseOffsets()).containsExactly(1L + i);
    }
  }

  @Test
  void heldBatchesAreRefusedWhenThePartitionStopsLeading() throws Exception {
    PartitionVerticle pv = deploy(LONG_HOLD_MS);
    Future<AppendResult> held = pv.append(batch(3, 1), Acks.LEADER);
    pv.updateSettings(new PartitionVerticle.Settings(2, 2, List.of(1, 2), List.of(1, 2), 1, 1));
    // Refused long before the hold would end: NOT_LEADER_OR_FOLLOWER if it was held when leadership moved, out of
    // sequence if its first try was still running then (not held by a replica that no longer leads).
    assertThatThrownBy(() -> get(held)).cause().isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode())
            .isIn(ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assertThat(pv.stats().orElseThrow().logEndOffset()).isZero();
  }

  private static void assertRefused(Future<?> f, ErrorCode code) {
    assertThatThrownBy(() -> get(f)).cause().isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(code));
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
