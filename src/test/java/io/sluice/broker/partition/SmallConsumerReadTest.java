package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.TopicPartition;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBatches;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.ReadResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer's read of at most {@link PartitionVerticle#SMALL_READ_BYTES} comes back in memory, read from the log by
 * the storage task (the bytes a file slice would give, read where disk reads belong), so the HTTP layer needs no
 * worker to copy it; a larger read stays a file slice. Nothing about which batches are answered changes.
 */
class SmallConsumerReadTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final TopicPartition TP = new TopicPartition("t", 0);

  @TempDir
  Path dir;
  private Vertx vertx;
  private LogManager store;
  private PartitionVerticle pv;

  @BeforeEach
  void lead() throws Exception {
    VertxOptions options = new VertxOptions();
    BlockedThreadGuard.testOptions(options);
    vertx = Vertx.vertx(options);
    GUARD.watch(vertx);
    store = LogManager.open(dir);
    WorkerExecutor storage = vertx.createSharedWorkerExecutor("test-storage", 2);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(1, dir.resolve(TP.dirName()),
        60_000, 5_000, (tp, next) -> Future.succeededFuture(true), ReplicaFetcher.Options.DEFAULT);
    pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT,
        new PartitionVerticle.Settings(1, 1, List.of(1), List.of(1), 1, 0), storage, 60_000, replication);
    get(vertx.deployVerticle(pv));
  }

  @AfterEach
  void close() throws Exception {
    get(vertx.close());
    store.close();
  }

  @Test
  void aSmallReadIsAnsweredInMemoryWithTheLogsBytes() throws Exception {
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    get(pv.append(TestBatches.batch("b", "c"), Acks.LEADER));

    ReadResult r = get(pv.fetch(1, 1 << 20, 1, 0));

    assertThat(r.isInMemory()).isTrue();
    assertThat(r.file()).isNull();
    assertThat(TestBatches.offsetsAndValues(r.readBytes())).containsExactly("1=b", "2=c");
    assertThat(r.nextOffset()).isEqualTo(3);
    assertThat(r.readBytes()).as("the bytes the file slice holds").isEqualTo(fileSlice(1, 1 << 20).readBytes());
    assertThat(r.bytes().array()).as("the whole backing array is the batches (the broker wraps it uncopied)")
        .isEqualTo(fileSlice(1, 1 << 20).readBytes().array());
  }

  @Test
  void aLongPollWokenByAnAppendIsAnsweredInMemory() throws Exception {
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    Future<ReadResult> parked = pv.fetch(1, 1 << 20, 1, 30_000);
    get(pv.append(TestBatches.batch("wake"), Acks.LEADER));

    ReadResult woken = get(parked);

    assertThat(woken.isInMemory()).isTrue();
    assertThat(TestBatches.offsetsAndValues(woken.readBytes())).containsExactly("1=wake");
  }

  @Test
  void aReadLargerThanTheBoundStaysAFileSlice() throws Exception {
    String big = "x".repeat(PartitionVerticle.SMALL_READ_BYTES);
    get(pv.append(TestBatches.batch(big), Acks.LEADER));

    ReadResult r = get(pv.fetch(0, 1 << 20, 1, 0));

    assertThat(r.length()).isGreaterThan(PartitionVerticle.SMALL_READ_BYTES);
    assertThat(r.isInMemory()).isFalse();
    assertThat(r.file()).isNotNull();
  }

  @Test
  void anEmptyReadStaysAnEmptySlice() throws Exception {
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    ReadResult r = fileSlice(1, 1 << 20); // a poll at the high watermark never reads (WokenLongPollTest)

    assertThat(r.isEmpty()).isTrue();
    assertThat(r.inMemoryIfAtMost(PartitionVerticle.SMALL_READ_BYTES)).isSameAs(r);
  }

  private ReadResult fileSlice(long offset, int maxBytes) {
    return store.openLog(TP, LogConfig.DEFAULT).read(offset, maxBytes, Long.MAX_VALUE);
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
