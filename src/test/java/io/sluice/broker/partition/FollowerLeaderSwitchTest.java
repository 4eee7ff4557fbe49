package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Acks;
import io.sluice.api.TopicPartition;
import io.sluice.broker.cluster.ReplicationServer;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.AppendResult;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.PartitionLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower that moves to a new leader while its old leader's last batches are still being appended (FaultsIT,
 * seed 20261122: an old leader cut off from ZooKeeper kept appending; a follower copied its uncommitted batches just
 * as the controller named a new leader). The new leader answers the first fetch from where the follower's log ended
 * before those batches landed; that answer must be dropped, not fail half-applied: its epoch recorded in the leader
 * epoch cache made the next fetch claim the new leader's epoch, the new leader saw no divergence, and the follower
 * kept the old leader's records below the high watermark for good (elected later, it lost acknowledged records).
 */
@Tag("several-brokers")
class FollowerLeaderSwitchTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final List<Integer> REPLICAS = List.of(1, 2, 3);

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final List<LogManager> stores = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    stores.forEach(LogManager::close);
  }

  @Test
  void anAnswerToAFetchOvertakenByTheOldLeadersLastAppendIsDroppedAndTheFollowerTruncates() throws Exception {
    PartitionVerticle oldLeader = deploy(1, settings(1, 1), vertx.createSharedWorkerExecutor("old-leader", 1));
    await(oldLeader.append(TestBatches.batch("old-0", "old-1"), Acks.LEADER));
    serve(1, oldLeader, new AtomicInteger());
    PartitionVerticle newLeader = deploy(2, settings(2, 2), vertx.createSharedWorkerExecutor("new-leader", 1));
    await(newLeader.append(TestBatches.batch("new-0", "new-1"), Acks.LEADER));
    await(newLeader.append(TestBatches.batch("new-2"), Acks.LEADER)); // a batch where the old leader's ended
    AtomicInteger fetchesAtNewLeader = new AtomicInteger();
    serve(2, newLeader, fetchesAtNewLeader);

    GatedExecutor followerStorage = new GatedExecutor(vertx.createSharedWorkerExecutor("follower", 1));
    PartitionVerticle follower = deploy(3, settings(PartitionState.NO_LEADER, 1), followerStorage);
    LogManager followerStore = stores.get(stores.size() - 1);
    followerStorage.hold();
    follower.updateSettings(settings(1, 1));
    InProcessReplicas.awaitCondition("the old leader's batches are on their way to the follower's log",
        () -> followerStorage.held() == 1);
    follower.updateSettings(settings(2, 2));
    InProcessReplicas.awaitCondition("the follower fetched from the new leader",
        () -> fetchesAtNewLeader.get() >= 1);
    followerStorage.release();

    InProcessReplicas.awaitCondition("the follower's log ends where the new leader's does",
        () -> follower.stats().orElseThrow().logEndOffset() == 3);
    assertThat(values(followerStore)).containsExactly("0=new-0", "1=new-1", "2=new-2");
    assertThat(follower.lastFetchedEpoch()).isEqualTo(2);
  }

  @Test
  void anAcksAllAppendThatLandsAfterLeadershipEndedIsNotAcknowledged() throws Exception {
    PartitionVerticle newLeader = deploy(2, new PartitionVerticle.Settings(2, 2, List.of(2), REPLICAS, 1, 2),
        vertx.createSharedWorkerExecutor("new-leader", 1));
    await(newLeader.append(TestBatches.batch("new-0", "new-1"), Acks.LEADER));
    serve(2, newLeader, new AtomicInteger());
    GatedExecutor storage = new GatedExecutor(vertx.createSharedWorkerExecutor("old-leader", 1));
    PartitionVerticle oldLeader = deploy(1, settings(1, 1), storage);
    LogManager oldLeaderStore = stores.get(stores.size() - 1);

    storage.holdAnswers();
    Future<AppendResult> append = oldLeader.append(TestBatches.batch("old-0"), Acks.ALL);
    InProcessReplicas.awaitCondition("the batch is in the log, unknown to the partition yet",
        () -> storage.held() == 1);
    oldLeader.updateSettings(settings(2, 2));
    storage.release();

    // Without the fix the old leader, now a follower, truncated the batch away, copied the new leader's records,
    // and its high watermark (the new leader's) completed the acks=all wait: old-0 acknowledged at offset 0.
    assertThatThrownBy(() -> await(append)).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    InProcessReplicas.awaitCondition("the old leader copied the new leader's log",
        () -> oldLeader.stats().orElseThrow().logEndOffset() == 2 && oldLeader.highWatermark() == 2);
    assertThat(values(oldLeaderStore)).containsExactly("0=new-0", "1=new-1");
  }

  @Test
  void anAnswerTheLogRefusesLeavesNoEpochBehind() throws Exception {
    PartitionVerticle source = deploy(1, settings(1, 7), vertx.createSharedWorkerExecutor("source", 1));
    await(source.append(TestBatches.batch("a", "b"), Acks.LEADER));
    Buffer epoch7Batch = await(source.replicaFetch(new ReplicaFetchRequest(TP, 3, 7, 0, -1, 1 << 20, 0))).records();
    Buffer misplaced = epoch7Batch.copy();
    misplaced.setLong(0, 5); // the batch claims offset 5 while the follower's log ends at 0
    List<ReplicaFetchRequest> fetches = new CopyOnWriteArrayList<>();
    vertx.eventBus().<Buffer>consumer(ClusterAddresses.replicaFetch(2), message -> {
      fetches.add(ReplicaFetchCodec.decodeRequest(message.body()));
      message.reply(ReplicaFetchCodec.encode(ReplicaFetchResponse.records(7, 0, 0,
          fetches.size() == 1 ? misplaced : Buffer.buffer())));
    });

    deploy(3, settings(2, 7), vertx.createSharedWorkerExecutor("follower", 1));
    InProcessReplicas.awaitCondition("the follower fetched again after the refused answer", () -> fetches.size() >= 2);
    assertThat(fetches.get(1).fetchOffset()).isZero();
    assertThat(fetches.get(1).lastFetchedEpoch()).as("epoch 7 was never appended").isEqualTo(-1);
  }

  private static PartitionVerticle.Settings settings(int leader, int epoch) {
    return new PartitionVerticle.Settings(leader, epoch, REPLICAS, REPLICAS, 1, epoch);
  }

  private PartitionVerticle deploy(int broker, PartitionVerticle.Settings settings, WorkerExecutor storage)
      throws Exception {
    LogManager store = LogManager.open(dir.resolve("broker-" + broker));
    stores.add(store);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(broker,
        dir.resolve("broker-" + broker).resolve(TP.dirName()), 60_000, 5_000,
        (tp, next) -> Future.succeededFuture(false), new ReplicaFetcher.Options(1 << 20, 50, 10));
    PartitionVerticle pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT, settings, storage, 60_000,
        replication);
    await(vertx.deployVerticle(pv));
    return pv;
  }

  /** Answers broker {@code broker}'s replica fetches from {@code replica}, counting those from follower 3. */
  private void serve(int broker, PartitionVerticle replica, AtomicInteger fetchesFromFollower) throws Exception {
    await(new ReplicationServer(vertx, broker, tp -> {
      fetchesFromFollower.incrementAndGet();
      return Future.succeededFuture(replica);
    }).start());
  }

  private static List<String> values(LogManager store) {
    PartitionLog log = store.openLog(TP, LogConfig.DEFAULT);
    return TestBatches.offsetsAndValues(log.read(0, 1 << 20, log.logEndOffset()).readBytes());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /**
   * A storage pool whose tasks can be held back, so a test decides when a queued log write runs ({@link #hold}), or
   * whose tasks run but whose answers are held back, so a test decides when the partition learns a write finished
   * ({@link #holdAnswers}).
   */
  private static final class GatedExecutor implements WorkerExecutor {
    private final WorkerExecutor delegate;
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;
    private boolean holdingAnswers;

    GatedExecutor(WorkerExecutor delegate) {
      this.delegate = delegate;
    }

    synchronized void hold() {
      holding = true;
    }

    synchronized void holdAnswers() {
      holdingAnswers = true;
    }

    synchronized int held() {
      return held.size();
    }

    void release() {
      List<Runnable> release;
      synchronized (this) {
        holding = false;
        holdingAnswers = false;
        release = new ArrayList<>(held);
        held.clear();
      }
      release.forEach(Runnable::run);
    }

    @Override
    public <T> Future<T> executeBlocking(Callable<T> task, boolean ordered) {
      Context context = Vertx.currentContext();
      Promise<T> promise = Promise.promise();
      synchronized (this) {
        if (holding) {
          held.add(() -> context.runOnContext(v -> delegate.executeBlocking(task, ordered).onComplete(promise)));
          return promise.future();
        }
        if (!holdingAnswers) {
          return delegate.executeBlocking(task, ordered);
        }
      }
      delegate.executeBlocking(task, ordered).onComplete(answer -> {
        synchronized (this) {
          held.add(() -> context.runOnContext(v -> promise.handle(answer)));
        }
      });
      return promise.future();
    }

    @Override
    public Future<Void> close() {
      return delegate.close();
    }
  }
}
