package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.TopicPartition;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBatches;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.ReadResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer's long poll woken by an append is answered from the bytes that append wrote, without a storage task,
 * when they are exactly what a read of the log would answer; never with a record above the high watermark, never
 * with more or other batches than the log holds at the fetch offset. A poll at the high watermark takes no storage
 * task either. Fetches and appends here are submitted in order from one thread, so each runs on the verticle's
 * context in that order: the fetch is parked before the append arrives. The storage pool counts its tasks: small
 * reads of the log are in memory too, so the count is what tells the two answers apart.
 */
class WokenLongPollTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final long WAIT_MS = 30_000;

  @TempDir
  Path dir;
  private Vertx vertx;
  private LogManager store;
  private GatedStorage storage;

  @AfterEach
  void close() throws Exception {
    if (vertx != null) {
      get(vertx.close());
    }
    if (store != null) {
      store.close();
    }
  }

  /** Broker 1 leads with {@code isr}; every other replica is driven by the test's own replica fetches. */
  private PartitionVerticle leader(List<Integer> isr) throws Exception {
    VertxOptions options = new VertxOptions();
    BlockedThreadGuard.testOptions(options);
    vertx = Vertx.vertx(options);
    GUARD.watch(vertx);
    store = LogManager.open(dir);
    storage = new GatedStorage(vertx);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(1, dir.resolve(TP.dirName()),
        60_000, 5_000, (tp, next) -> Future.succeededFuture(true), ReplicaFetcher.Options.DEFAULT);
    PartitionVerticle pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT,
        new PartitionVerticle.Settings(1, 1, isr, List.of(1, 2), 1, 0), storage, 60_000, replication);
    get(vertx.deployVerticle(pv));
    return pv;
  }

  @Test
  void aLongPollWokenByAnAppendGetsTheAppendedBytesWithTheirOffsetsFromMemory() throws Exception {
    PartitionVerticle pv = leader(List.of(1));
    get(pv.append(TestBatches.batch("before"), Acks.LEADER));

    Future<ReadResult> parked = pv.fetch(1, 1 << 20, 1, WAIT_MS);
    int tasksBefore = storage.tasks();
    get(pv.append(TestBatches.batch("wake", "up"), Acks.LEADER));

    ReadResult woken = get(parked);
    assertThat(storage.tasks() - tasksBefore).as("the append's write only: no read of the log").isEqualTo(1);
    assertThat(woken.isInMemory()).isTrue();
    assertThat(TestBatches.offsetsAndValues(woken.readBytes())).containsExactly("1=wake", "2=up");
    assertThat(woken.nextOffset()).isEqualTo(3);
    assertThat(woken.logEndOffset()).isEqualTo(3);
    ReadResult fromLog = get(pv.fetch(1, 1 << 20, 1, 0));
    assertThat(woken.readBytes()).as("the very bytes the log holds, leader epoch included")
        .isEqualTo(fromLog.readBytes());
  }

  @Test
  void anAppendAboveTheHighWatermarkWakesNoLongPollUntilItIsCommitted() throws Exception {
    PartitionVerticle pv = leader(List.of(1, 2));
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 1, 1, 1 << 20, 0)));
    assertThat(pv.highWatermark()).isEqualTo(1);

    Future<ReadResult> parked = pv.fetch(1, 1 << 20, 1, WAIT_MS);
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    // a round trip through the context after the append: the poll would have been answered by now
    assertThat(TestBatches.offsetsAndValues(get(pv.fetch(0, 1 << 20, 1, 0)).readBytes())).containsExactly("0=a");
    assertThat(parked.isComplete()).as("offset 1 is not committed yet").isFalse();

    get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 2, 1, 1 << 20, 0)));
    ReadResult woken = get(parked);
    assertThat(TestBatches.offsetsAndValues(woken.readBytes())).containsExactly("1=b");
    assertThat(woken.nextOffset()).isEqualTo(2);
  }

  @Test
  void aLongPollSmallerThanTheAppendGetsTheBatchesTheLogWouldAnswer() throws Exception {
    PartitionVerticle pv = leader(List.of(1));
    ByteBuffer first = TestBatches.batch("first");
    ByteBuffer second = TestBatches.batch("second");
    int firstSize = first.remaining();
    ByteBuffer both = ByteBuffer.allocate(firstSize + second.remaining()).put(first).put(second).flip();

    Future<ReadResult> parked = pv.fetch(0, firstSize, 1, WAIT_MS);
    get(pv.append(both, Acks.LEADER));

    ReadResult woken = get(parked);
    assertThat(TestBatches.offsetsAndValues(woken.readBytes())).containsExactly("0=first");
    assertThat(woken.nextOffset()).isEqualTo(1);
  }

  @Test
  void aLongPollBehindTheAppendReadsTheLog() throws Exception {
    PartitionVerticle pv = leader(List.of(1));
    ByteBuffer one = TestBatches.batch("0123456789");
    int size = one.remaining();

    Future<ReadResult> parked = pv.fetch(0, 1 << 20, 2 * size, WAIT_MS);
    get(pv.append(one, Acks.LEADER));
    int tasksBefore = storage.tasks();
    get(pv.append(TestBatches.batch("abcdefghij"), Acks.LEADER));

    ReadResult woken = get(parked);
    assertThat(storage.tasks() - tasksBefore).as("the append that woke it started at offset 1, the poll at 0: "
        + "the write and a read of the log").isEqualTo(2);
    assertThat(TestBatches.offsetsAndValues(woken.readBytes())).containsExactly("0=0123456789", "1=abcdefghij");
  }

  @Test
  void aPollAtTheHighWatermarkAnswersEmptyWithTheLogsOffsets() throws Exception {
    PartitionVerticle pv = leader(List.of(1));
    get(pv.append(TestBatches.batch("a", "b"), Acks.LEADER));

    int tasksBefore = storage.tasks();
    ReadResult empty = get(pv.fetch(2, 1 << 20, 1, 0));

    assertThat(storage.tasks()).as("nothing to read: no storage task").isEqualTo(tasksBefore);
    assertThat(empty.length()).isZero();
    assertThat(empty.nextOffset()).isEqualTo(2);
    assertThat(empty.logStartOffset()).isZero();
    assertThat(empty.logEndOffset()).isEqualTo(2);
  }

  @Test
  void theWokenAnswerIsACopyThatOutlivesTheProducersBuffer() throws Exception {
    PartitionVerticle pv = leader(List.of(1));
    ByteBuffer produced = TestBatches.batch("kept");
    Future<ReadResult> parked = pv.fetch(0, 1 << 20, 1, WAIT_MS);
    get(pv.append(produced, Acks.LEADER));

    java.util.Arrays.fill(produced.array(), (byte) 0); // the producer reuses its buffer once acknowledged
    ReadResult woken = get(parked);
    assertThat(TestBatches.offsetsAndValues(woken.readBytes())).containsExactly("0=kept");
  }

  @Test
  void aLongPollParkedAtTheHighWatermarkTakesNoStorageTaskUntilWoken() throws Exception {
    PartitionVerticle pv = leader(List.of(1));
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    int tasksBefore = storage.tasks();

    Future<ReadResult> parked = pv.fetch(1, 1 << 20, 1, WAIT_MS);
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));

    assertThat(TestBatches.offsetsAndValues(get(parked).readBytes())).containsExactly("1=b");
    assertThat(storage.tasks() - tasksBefore).as("the append's write only").isEqualTo(1);
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
