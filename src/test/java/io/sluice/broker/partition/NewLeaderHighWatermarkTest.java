package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.Acks;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader starting a new epoch with a high watermark below the epoch's start offset (what it had before the
 * election) does not show it to consumers: reads and offset queries are refused, retriably, until a follower's fetch
 * brings the high watermark to the epoch start. Found by the fault checker (FaultsIT): consumers saw the high
 * watermark go back by one after a preferred-leader election.
 */
class NewLeaderHighWatermarkTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final List<Integer> REPLICAS = List.of(1, 2);

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

  @Test
  void aNewLeaderRefusesReadsUntilItsHighWatermarkReachesTheStartOfItsEpoch() throws Exception {
    store = LogManager.open(dir);
    WorkerExecutor storage = vertx.createSharedWorkerExecutor("test-storage", 2);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(1, dir.resolve(TP.dirName()),
        60_000, 5_000, (tp, next) -> Future.succeededFuture(true), ReplicaFetcher.Options.DEFAULT);
    PartitionVerticle pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT,
        new PartitionVerticle.Settings(1, 1, REPLICAS, REPLICAS, 1, 0), storage, 60_000, replication);
    get(vertx.deployVerticle(pv));
    for (String v : List.of("a", "b", "c")) {
      get(pv.append(TestBatches.batch(v), Acks.LEADER));
    }
    get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 2, 1, 1 << 20, 0)));
    assertThat(pv.highWatermark()).as("follower 2 has offsets 0 and 1").isEqualTo(2);
    assertThat(get(pv.fetch(0, 1 << 20, 1, 0)).length()).isPositive();

    pv.updateSettings(new PartitionVerticle.Settings(1, 2, REPLICAS, REPLICAS, 1, 1));
    assertThatThrownBy(() -> get(pv.fetch(0, 1 << 20, 1, 0))).cause().isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.LEADER_NOT_AVAILABLE))
        .hasMessageContaining("start offset 3");
    assertThatThrownBy(() -> get(pv.offsets())).cause().isInstanceOf(SluiceException.class);

    get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 2, 3, 1, 1 << 20, 0)));
    assertThat(pv.highWatermark()).isEqualTo(3);
    assertThat(get(pv.offsets()).endOffset()).isEqualTo(3);
    assertThat(TestBatches.offsetsAndValues(get(pv.fetch(0, 1 << 20, 1, 0)).readBytes()))
        .containsExactly("0=a", "1=b", "2=c");
  }

  private static <T> T get(Future<T> f) throws ExecutionException, InterruptedException,
      java.util.concurrent.TimeoutException {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
