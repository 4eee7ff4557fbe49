package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.TopicPartition;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader's append with another already queued behind it is held back from the followers' waits: the next append's
 * completion answers them with both, from memory, so a follower fetches once per two appends. The storage pool is
 * gated here (its tasks wait for permits), so the second append is queued before the first completes, whatever the
 * threads' timing.
 */
class HeldAppendTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final List<Integer> REPLICAS = List.of(1, 2);
  private static final long LONG_WAIT_MS = 60_000;

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger storageTasks = new AtomicInteger();
  /** When set, every storage task takes a permit before it runs. */
  private volatile Semaphore gate;
  private LogManager store;

  @AfterEach
  void close() throws Exception {
    Semaphore g = gate;
    if (g != null) {
      g.release(1_000);
    }
    get(vertx.close());
    if (store != null) {
      store.close();
    }
  }

  private PartitionVerticle deployLeader() throws Exception {
    store = LogManager.open(dir);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(1, dir.resolve(TP.dirName()),
        60_000, 5_000, (tp, next) -> Future.succeededFuture(true), ReplicaFetcher.Options.DEFAULT);
    PartitionVerticle pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT,
        new PartitionVerticle.Settings(1, 1, REPLICAS, REPLICAS, 1, 0), gatedStorage(), 60_000, replication);
    get(vertx.deployVerticle(pv));
    return pv;
  }

  /** The storage pool, counting its tasks and holding each for a permit of {@link #gate} while one is set. */
  private WorkerExecutor gatedStorage() {
    WorkerExecutor real = vertx.createSharedWorkerExecutor("test-storage", 2);
    return (WorkerExecutor) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {WorkerExecutor.class},
        (proxy, method, args) -> {
          if (method.getName().equals("executeBlocking") && args[0] instanceof Callable<?> task) {
            storageTasks.incrementAndGet();
            Semaphore g = gate;
            Callable<?> gated = () -> {
              if (g != null) {
                g.acquire();
              }
              return task.call();
            };
            Object[] changed = args.clone();
            changed[0] = gated;
            return method.invoke(real, changed);
          }
          return method.invoke(real, args);
        });
  }

  /**
   * Completes once every call submitted to {@code pv} before it has run on its context: a fetch at a stale epoch,
   * refused there without a storage task.
   */
  private static void probe(PartitionVerticle pv) throws Exception {
    ReplicaFetchResponse refused = get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 0, 0, -1, 1 << 20, 0)));
    assertThat(refused.error()).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
  }

  @Test
  void aFollowerWaitingAtTheLogEndGetsTwoQueuedAppendsInOneAnswer() throws Exception {
    PartitionVerticle pv = deployLeader();
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(fetchAt(2));
    gate = new Semaphore(0);
    Future<?> c = pv.append(TestBatches.batch("c"), Acks.LEADER);
    Future<?> d = pv.append(TestBatches.batch("d"), Acks.LEADER);
    probe(pv); // both appends reached the context: "d" is queued behind "c" when "c" completes
    int before = storageTasks.get();
    gate.release(1_000);
    get(c);
    get(d);

    ReplicaFetchResponse response = get(waiting);
    assertThat(TestBatches.offsetsAndValues(bytes(response))).as("both appends, not the first alone")
        .containsExactly("2=c", "3=d");
    assertThat(storageTasks.get() - before).as("the second write only: no read of the log").isEqualTo(1);
    assertThat(bytes(response)).as("the bytes a read of the log answers").isEqualTo(bytes(get(pv.replicaFetch(
        new ReplicaFetchRequest(TP, 2, 1, 2, 1, 1 << 20, 0)))));
    assertThat(response.recordsBuf().isDirect()).isTrue();
    response.releaseRecords();
    assertThat(response.recordsBuf().refCnt()).as("the held copy and the second one given back").isZero();
  }

  @Test
  void aFetchArrivingAtAHeldAppendWaitsForTheNextOneInsteadOfReadingTheLog() throws Exception {
    PartitionVerticle pv = deployLeader();
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    gate = new Semaphore(0);
    Future<?> c = pv.append(TestBatches.batch("c"), Acks.LEADER);
    Future<?> d = pv.append(TestBatches.batch("d"), Acks.LEADER);
    probe(pv);
    gate.release(1); // "c" is written and held; "d" waits for a permit
    get(c);
    probe(pv); // "d"'s write was submitted after "c" completed
    int before = storageTasks.get();
    Future<ReplicaFetchResponse> fetch = pv.replicaFetch(fetchAt(2));
    probe(pv);
    assertThat(storageTasks.get() - before).as("no read of the log for a fetch at the held append").isZero();
    gate.release(1_000);
    get(d);

    assertThat(TestBatches.offsetsAndValues(bytes(get(fetch)))).containsExactly("2=c", "3=d");
  }

  @Test
  void appendsOneAtATimeAreNotHeld() throws Exception {
    PartitionVerticle pv = deployLeader();
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(fetchAt(1));
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    assertThat(TestBatches.offsetsAndValues(bytes(get(waiting)))).containsExactly("1=b");
  }

  private static ReplicaFetchRequest fetchAt(long offset) {
    return new ReplicaFetchRequest(TP, 2, 1, offset, 1, 1 << 20, LONG_WAIT_MS);
  }

  private static ByteBuffer bytes(ReplicaFetchResponse response) {
    return ByteBuffer.wrap(response.records().getBytes());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
