package io.sluice.broker.partition;

import static io.sluice.broker.partition.FollowedLeader.REPLICAS;
import static io.sluice.broker.partition.FollowedLeader.TP;
import static io.sluice.broker.partition.FollowedLeader.bytes;
import static io.sluice.broker.partition.FollowedLeader.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Acks;
import io.sluice.broker.cluster.ReplicationServer;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaLinks;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader's answer to a follower's fetch: caught-up followers wait for the next append and get its bytes without a
 * storage task (one that does not fit them reads the log), a waited-out fetch is answered empty with no
 * task, a follower behind reads at once, a waiting fetch is refused when leadership moves, and the replication server
 * counts what it answered.
 */
class FollowerFetchWaitTest {
  private static final long LONG_WAIT_MS = 60_000;

  @RegisterExtension
  final FollowedLeader leader = new FollowedLeader();
  @TempDir
  Path dir;

  private static ReplicaFetchRequest fetchAt(long offset, long maxWaitMs) {
    return new ReplicaFetchRequest(TP, 2, 1, offset, 1, 1 << 20, maxWaitMs);
  }

  /** Appends "a" then "b" (offsets 0 and 1) and gives the storage tasks the second cost, as a baseline. */
  private int storageTasksOfAnAppend(PartitionVerticle pv) throws Exception {
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    int before = leader.storage.tasks();
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    return leader.storage.tasks() - before;
  }

  @Test
  void caughtUpFollowersGetTheNextAppendFromMemoryAsTheLogHasIt() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    int perAppend = storageTasksOfAnAppend(pv);

    int before = leader.storage.tasks();
    // Submitted before the append, so they reach the partition's context first and wait at the log end (offset 2).
    Future<ReplicaFetchResponse> first = pv.replicaFetch(fetchAt(2, LONG_WAIT_MS));
    Future<ReplicaFetchResponse> second = pv.replicaFetch(new ReplicaFetchRequest(TP, 3, 1, 2, 1, 1 << 20,
        LONG_WAIT_MS));
    get(pv.append(TestBatches.batch("c", "d"), Acks.LEADER));
    ReplicaFetchResponse response = get(first);

    assertThat(response.error()).isNull();
    assertThat(TestBatches.offsetsAndValues(bytes(response))).containsExactly("2=c", "3=d");
    assertThat(response.highWatermark()).as("follower 2 acknowledged offsets 0 and 1").isEqualTo(2);
    assertThat(leader.storage.tasks() - before - perAppend).as("storage tasks the fetches cost").isZero();
    ReplicaFetchResponse fromLog = get(pv.replicaFetch(fetchAt(2, 0)));
    assertThat(bytes(response)).as("the same bytes a read of the log answers").isEqualTo(bytes(fromLog))
        .isEqualTo(bytes(get(second)));
  }

  @Test
  void followersWokenByOneAppendShareOneDirectCopyAndAReadIsDirectToo() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
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
    PartitionVerticle pv = leader.deploy(dir);
    int perAppend = storageTasksOfAnAppend(pv);
    ByteBuffer two = concat(TestBatches.batch("c"), TestBatches.batch("d"));
    int oneBatch = TestBatches.batch("c").remaining();

    int before = leader.storage.tasks();
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 2, 1, oneBatch,
        LONG_WAIT_MS));
    get(pv.append(two, Acks.LEADER));
    ReplicaFetchResponse response = get(waiting);

    assertThat(TestBatches.offsetsAndValues(bytes(response))).as("only what fits, as the log answers it")
        .containsExactly("2=c");
    assertThat(leader.storage.tasks() - before - perAppend).as("storage tasks the fetch cost").isEqualTo(1);
  }

  @Test
  void aWaitedOutFetchIsAnsweredEmptyWithoutReadingTheLog() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    int before = leader.storage.tasks();
    ReplicaFetchResponse response = get(pv.replicaFetch(fetchAt(1, 50)));
    assertThat(response.error()).isNull();
    assertThat(response.records().length()).isZero();
    assertThat(response.highWatermark()).isEqualTo(1);
    assertThat(leader.storage.tasks() - before).isZero();
  }

  @Test
  void aFollowerBehindGetsEverythingFromItsOffsetAtOnce() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    for (String v : List.of("a", "b", "c")) {
      get(pv.append(TestBatches.batch(v), Acks.LEADER));
    }
    int before = leader.storage.tasks();
    ReplicaFetchResponse response = get(pv.replicaFetch(fetchAt(1, LONG_WAIT_MS)));
    assertThat(TestBatches.offsetsAndValues(bytes(response))).containsExactly("1=b", "2=c");
    assertThat(leader.storage.tasks() - before).isEqualTo(1);
  }

  @Test
  void aWaitingFetchIsRefusedWhenLeadershipMoves() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(fetchAt(1, LONG_WAIT_MS));
    pv.updateSettings(new PartitionVerticle.Settings(2, 2, REPLICAS, REPLICAS, 1, 1));
    assertThatThrownBy(() -> get(waiting)).cause().isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER));
  }

  @Test
  void theReplicationServerCountsFetchesEmptyOnesAndBytes() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    ReplicationServer server = new ReplicationServer(leader.vertx, 1, tp -> Future.succeededFuture(pv));
    get(server.start());
    Buffer full = get(leader.vertx.eventBus().<Buffer>request(ClusterAddresses.replicaFetch(1),
        ReplicaFetchCodec.encode(new ReplicaFetchRequest(TP, 2, 1, 0, -1, 1 << 20, 0)))).body();
    get(leader.vertx.eventBus().<Buffer>request(ClusterAddresses.replicaFetch(1),
        ReplicaFetchCodec.encode(fetchAt(1, 0))));
    int sent = ReplicaFetchCodec.decodeResponse(full).records().length();
    assertThat(sent).isPositive();
    assertThat(server.stats().fetches()).isEqualTo(2);
    assertThat(server.stats().emptyFetches()).isEqualTo(1);
    assertThat(server.stats().bytes()).isEqualTo(sent);
  }

  @Test
  void aReplicaLinkCarriesTheSameAnswersAsTheEventBus() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    for (int i = 0; i < 20; i++) {
      get(pv.append(TestBatches.batch("record " + i + " ".repeat(1_000)), Acks.LEADER));
    }
    ReplicationServer server = new ReplicationServer(leader.vertx, 1, tp -> Future.succeededFuture(pv));
    get(server.start());
    ReplicaLinks links = new ReplicaLinks(leader.vertx);
    for (ReplicaFetchRequest request : List.of(new ReplicaFetchRequest(TP, 2, 1, 0, -1, 1 << 20, 0),
        new ReplicaFetchRequest(TP, 2, 1, 0, -1, 2_000, 0), fetchAt(20, 0), fetchAt(99, 0),
        new ReplicaFetchRequest(TP, 2, 7, 0, -1, 1 << 20, 0))) {
      Buffer overBus = get(leader.vertx.eventBus().<Buffer>request(ClusterAddresses.replicaFetch(1),
          ReplicaFetchCodec.encode(request))).body();
      Buffer overLink = get(links.fetch(leader.vertx, 1, ReplicaFetchCodec.encode(request), 10_000));
      assertThat(overLink).as("answer to %s", request).isEqualTo(overBus);
    }
    assertThat(ReplicaFetchCodec.decodeResponse(get(links.fetch(leader.vertx, 1, ReplicaFetchCodec.encode(
        new ReplicaFetchRequest(TP, 2, 1, 0, -1, 1 << 20, 0)), 10_000))).records().length()).isGreaterThan(20_000);
    assertThat(server.stats().fetches()).isEqualTo(11);
  }

  private static ByteBuffer concat(ByteBuffer a, ByteBuffer b) {
    return ByteBuffer.allocate(a.remaining() + b.remaining()).put(a).put(b).flip();
  }
}
