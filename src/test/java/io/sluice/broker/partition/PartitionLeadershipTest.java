package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Acks;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.api.TopicPartition;
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
 * Leadership rules of a replica found by the fault checker (FaultsIT). Consumers read only from a leader whose high watermark is established, so they never see it go back (found by the
 * fault checker, FaultsIT: after a preferred-leader election the new leader's high watermark trailed the old one's by
 * a record, and a fenced zombie answered with its stale one). A leader starting a new epoch with a high watermark
 * below the epoch's start refuses reads and offset queries, retriably, until a follower's fetch brings it there; a
 * follower or a fenced replica refuses them. A broker that restarted since it was made leader neither leads nor
 * follows at that epoch: it waits for the controller's next one.
 */
class PartitionLeadershipTest {
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

  private PartitionVerticle deploy(int leader) throws Exception {
    return deploy(new PartitionVerticle.Settings(leader, 1, REPLICAS, REPLICAS, 1, 0));
  }

  private PartitionVerticle deploy(PartitionVerticle.Settings settings) throws Exception {
    store = LogManager.open(dir);
    WorkerExecutor storage = vertx.createSharedWorkerExecutor("test-storage", 2);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(1, dir.resolve(TP.dirName()),
        60_000, 5_000, (tp, next) -> Future.succeededFuture(true), ReplicaFetcher.Options.DEFAULT);
    PartitionVerticle pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT,
        settings, storage, 60_000, replication);
    get(vertx.deployVerticle(pv));
    return pv;
  }

  private static void assertRefused(Future<?> read, ErrorCode code) {
    assertThatThrownBy(() -> get(read)).cause().isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(code));
  }

  @Test
  void aLeaderThatRestartedSinceItsEpochWaitsForTheNextEpochBeforeLeading() throws Exception {
    PartitionVerticle pv = deploy(new PartitionVerticle.Settings(1, 3, REPLICAS, REPLICAS, 1, 5, false));
    assertRefused(pv.append(TestBatches.batch("at-the-old-epoch"), Acks.LEADER), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assertThat(get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 3, 0, -1, 1 << 20, 0))).error())
        .isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assertThat(pv.isLeader()).isFalse();

    pv.updateSettings(new PartitionVerticle.Settings(1, 4, REPLICAS, REPLICAS, 1, 6, true));
    assertThat(get(pv.append(TestBatches.batch("at-the-new-epoch"), Acks.LEADER)).logEndOffset()).isEqualTo(1);
    assertThat(pv.isLeader()).isTrue();
  }

  @Test
  void aFollowerAndAFencedLeaderRefuseConsumerReads() throws Exception {
    PartitionVerticle follower = deploy(2);
    assertRefused(follower.fetch(0, 1 << 20, 1, 0), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assertRefused(follower.offsets(), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    follower.updateSettings(new PartitionVerticle.Settings(1, 2, REPLICAS, REPLICAS, 1, 1));
    assertThat(get(follower.offsets()).endOffset()).isZero();
    follower.fence();
    assertRefused(follower.fetch(0, 1 << 20, 1, 0), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  @Test
  void aNewLeaderRefusesReadsUntilItsHighWatermarkReachesTheStartOfItsEpoch() throws Exception {
    PartitionVerticle pv = deploy(1);
    for (String v : List.of("a", "b", "c")) {
      get(pv.append(TestBatches.batch(v), Acks.LEADER));
    }
    get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 2, 1, 1 << 20, 0)));
    assertThat(pv.highWatermark()).as("follower 2 has offsets 0 and 1").isEqualTo(2);
    assertThat(get(pv.fetch(0, 1 << 20, 1, 0)).length()).isPositive();

    pv.updateSettings(new PartitionVerticle.Settings(1, 2, REPLICAS, REPLICAS, 1, 1));
    assertRefused(pv.fetch(0, 1 << 20, 1, 0), ErrorCode.LEADER_NOT_AVAILABLE);
    assertRefused(pv.offsets(), ErrorCode.LEADER_NOT_AVAILABLE);

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
