package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Acks;
import io.sluice.api.TopicPartition;
import io.sluice.broker.cluster.ReplicationServer;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.replication.ReplicaLinks;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader's answer to a follower's fetch: caught-up followers wait for the next append and get its bytes without a
 * storage task (one that does not fit them reads the log), a waited-out fetch is answered empty with no
 * task, a follower behind reads at once, a waiting fetch is refused when leadership moves, and the replication server
 * counts what it answered.
 */
class FollowerFetchWaitTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final List<Integer> REPLICAS = List.of(1, 2);
  private static final long LONG_WAIT_MS = 60_000;

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger storageTasks = new AtomicInteger();
  private LogManager store;

  @AfterEach
  void close() throws Exception {
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
        new PartitionVerticle.Settings(1, 1, REPLICAS, REPLICAS, 1, 0), countingStorage(), 60_000, replication);
    get(vertx.deployVerticle(pv));
    return pv;
  }

  /** The storage pool, counting the tasks submitted to it. */
  private WorkerExecutor countingStorage() {
    WorkerExecutor real = vertx.createSharedWorkerExecutor("test-storage", 2);
    return (WorkerExecutor) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {WorkerExecutor.class},
        (proxy, method, args) -> {
          if (method.getName().equals("executeBlocking")) {
            storageTasks.incrementAndGet();
          }
          return method.invoke(real, args);
        });
  }

  private static ReplicaFetchRequest fetchAt(long offset, long maxWaitMs) {
    return new ReplicaFetchRequest(TP, 2, 1, offset, 1, 1 << 20, maxWaitMs);
  }

  /** Appends "a" then "b" (offsets 0 and 1) and gives the storage tasks the second cost, as a baseline. */
  private int storageTasksOfAnAppend(PartitionVerticle pv) throws Exception {
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    int before = storageTasks.get();
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    return storageTasks.get() - before;
  }

  @Test
  void caughtUpFollowersGetTheNextAppendFromMemoryAsTheLogHasIt() throws Exception {
    PartitionVerticle pv = deployLeader();
    int perAppend = storageTasksOfAnAppend(pv);

    int before = storageTasks.get();
    // Submitted before the append, so they reach the partition's context first and wait at the log end (offset 2).
    Future<ReplicaFetchResponse> first = pv.replicaFetch(fetchAt(2, LONG_WAIT_MS));
    Future<ReplicaFetchResponse> second = pv.replicaFetch(new ReplicaFetchRequest(TP, 3, 1, 2, 1, 1 << 20,
        LONG_WAIT_MS));
    get(pv.append(TestBatches.batch("c", "d"), Acks.LEADER));
    ReplicaFetchResponse response = get(first);

    assertThat(response.error()).isNull();
    assertThat(TestBatches.offsetsAndValues(bytes(response))).containsExactly("2=c", "3=d");
    assertThat(response.highWatermark()).as("follower 2 acknowledged offsets 0 and 1").isEqualTo(2);
    assertThat(storageTasks.get() - before - perAppend).as("storage tasks the fetches cost").isZero();
    ReplicaFetchResponse fromLog = get(pv.replicaFetch(fetchAt(2, 0)));
    assertThat(bytes(response)).as("the same bytes a read of the log answers").isEqualTo(bytes(fromLog))
        .isEqualTo(bytes(get(second)));
  }

  @Test
  void followersWokenByOneAppendShareOneDirectCopyAndAReadIsDirectToo() throws Exception {
    PartitionVerticle pv = deployLeader();
    storageTasksOfAnAppend(pv);
    Future<ReplicaFetchResponse> first = pv.replicaFetch(fetchAt(2, LONG_WAIT_MS));
    Future<ReplicaFetchResponse> second = pv.replicaFetch(new ReplicaFetchRequest(TP, 3, 1, 2, 1, 1 << 20,
        LONG_WAIT_MS));
    get(pv.append(TestBatches.batch("c", "d"), Acks.LEADER));

    // one copy of the append for all the followers it wakes, in direct memory, which the link writes as it is (the
    // benchmark's batches are 100 KB: a heap copy, then one more per follower into its frame, was the leader's cost)
    ByteBuf a = get(first).recordsBuf();
    ByteBuf b = get(second).recordsBuf();
    assertThat(a.isDirect()).isTrue();
    ByteBuf shared = a.unwrap();
    assertThat(b.unwrap()).as("one buffer for both followers").isSameAs(shared);
    assertThat(shared.refCnt()).as("the partition gave its own reference back; one per answer is left")
        .isEqualTo(2);
    get(first).releaseRecords();
    get(second).releaseRecords();
    assertThat(shared.refCnt()).as("back in the pool once both answers are written").isZero();

    ReplicaFetchResponse read = get(pv.replicaFetch(fetchAt(0, 0)));
    assertThat(TestBatches.offsetsAndValues(bytes(read))).containsExactly("0=a", "1=b", "2=c", "3=d");
    // a fetch the log is already past is read into direct memory too, once, and given back by its writer
    assertThat(read.recordsBuf().isDirect()).as("the storage read, into direct memory").isTrue();
    assertThat(read.recordsBuf().refCnt()).isEqualTo(1);
    read.releaseRecords();
    assertThat(read.recordsBuf().refCnt()).isZero();
  }

  @Test
  void aWokenFollowerFetchTooSmallForTheAppendReadsTheLog() throws Exception {
    PartitionVerticle pv = deployLeader();
    int perAppend = storageTasksOfAnAppend(pv);
    ByteBuffer two = concat(TestBatches.batch("c"), TestBatches.batch("d"));
    int oneBatch = TestBatches.batch("c").remaining();

    int before = storageTasks.get();
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 2, 1, oneBatch,
        LONG_WAIT_MS));
    get(pv.append(two, Acks.LEADER));
    ReplicaFetchResponse response = get(waiting);

    assertThat(TestBatches.offsetsAndValues(bytes(response))).as("only what fits, as the log answers it")
        .containsExactly("2=c");
    assertThat(storageTasks.get() - before - perAppend).as("storage tasks the fetch cost").isEqualTo(1);
  }

  @Test
  void aWaitedOutFetchIsAnsweredEmptyWithoutReadingTheLog() throws Exception {
    PartitionVerticle pv = deployLeader();
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    int before = storageTasks.get();
    ReplicaFetchResponse response = get(pv.replicaFetch(fetchAt(1, 50)));
    assertThat(response.error()).isNull();
    assertThat(response.records().length()).isZero();
    assertThat(response.highWatermark()).isEqualTo(1);
    assertThat(storageTasks.get() - before).isZero();
  }

  @Test
  void aFollowerBehindGetsEverythingFromItsOffsetAtOnce() throws Exception {
    PartitionVerticle pv = deployLeader();
    for (String v : List.of("a", "b", "c")) {
      get(pv.append(TestBatches.batch(v), Acks.LEADER));
    }
    int before = storageTasks.get();
    ReplicaFetchResponse response = get(pv.replicaFetch(fetchAt(1, LONG_WAIT_MS)));
    assertThat(TestBatches.offsetsAndValues(bytes(response))).containsExactly("1=b", "2=c");
    assertThat(storageTasks.get() - before).isEqualTo(1);
  }

  @Test
  void aWaitingFetchIsRefusedWhenLeadershipMoves() throws Exception {
    PartitionVerticle pv = deployLeader();
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(fetchAt(1, LONG_WAIT_MS));
    pv.updateSettings(new PartitionVerticle.Settings(2, 2, REPLICAS, REPLICAS, 1, 1));
    assertThatThrownBy(() -> get(waiting)).cause().isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER));
  }

  @Test
  void theReplicationServerCountsFetchesEmptyOnesAndBytes() throws Exception {
    PartitionVerticle pv = deployLeader();
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    ReplicationServer server = new ReplicationServer(vertx, 1, tp -> Future.succeededFuture(pv));
    get(server.start());
    Buffer full = get(vertx.eventBus().<Buffer>request(ClusterAddresses.replicaFetch(1),
        ReplicaFetchCodec.encode(new ReplicaFetchRequest(TP, 2, 1, 0, -1, 1 << 20, 0)))).body();
    get(vertx.eventBus().<Buffer>request(ClusterAddresses.replicaFetch(1),
        ReplicaFetchCodec.encode(fetchAt(1, 0))));
    int sent = ReplicaFetchCodec.decodeResponse(full).records().length();
    assertThat(sent).isPositive();
    assertThat(server.stats().fetches()).isEqualTo(2);
    assertThat(server.stats().emptyFetches()).isEqualTo(1);
    assertThat(server.stats().bytes()).isEqualTo(sent);
  }

  @Test
  void aReplicaLinkCarriesTheSameAnswersAsTheEventBus() throws Exception {
    PartitionVerticle pv = deployLeader();
    for (int i = 0; i < 20; i++) {
      get(pv.append(TestBatches.batch("record " + i + " ".repeat(1_000)), Acks.LEADER));
    }
    ReplicationServer server = new ReplicationServer(vertx, 1, tp -> Future.succeededFuture(pv));
    get(server.start());
    ReplicaLinks links = new ReplicaLinks(vertx);
    for (ReplicaFetchRequest request : List.of(new ReplicaFetchRequest(TP, 2, 1, 0, -1, 1 << 20, 0),
        new ReplicaFetchRequest(TP, 2, 1, 0, -1, 2_000, 0), fetchAt(20, 0), fetchAt(99, 0),
        new ReplicaFetchRequest(TP, 2, 7, 0, -1, 1 << 20, 0))) {
      Buffer overBus = get(vertx.eventBus().<Buffer>request(ClusterAddresses.replicaFetch(1),
          ReplicaFetchCodec.encode(request))).body();
      Buffer overLink = get(links.fetch(vertx, 1, ReplicaFetchCodec.encode(request), 10_000));
      assertThat(overLink).as("answer to %s", request).isEqualTo(overBus);
    }
    assertThat(ReplicaFetchCodec.decodeResponse(get(links.fetch(vertx, 1, ReplicaFetchCodec.encode(
        new ReplicaFetchRequest(TP, 2, 1, 0, -1, 1 << 20, 0)), 10_000))).records().length()).isGreaterThan(20_000);
    assertThat(server.stats().fetches()).isEqualTo(11);
  }

  private static ByteBuffer concat(ByteBuffer a, ByteBuffer b) {
    return ByteBuffer.allocate(a.remaining() + b.remaining()).put(a).put(b).flip();
  }

  private static ByteBuffer bytes(ReplicaFetchResponse response) {
    return ByteBuffer.wrap(response.records().getBytes());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
