package io.sluice.broker.partition;

import static io.sluice.broker.partition.FollowedLeader.TP;
import static io.sluice.broker.partition.FollowedLeader.bytes;
import static io.sluice.broker.partition.FollowedLeader.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.testing.TestBatches;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader's append with another already queued behind it is held back from the followers' waits: the next append's
 * completion answers them with both, from memory, so a follower fetches once per two appends. The storage pool is
 * gated here (its tasks wait for permits), so the second append is queued before the first completes, whatever the
 * threads' timing.
 */
class HeldAppendTest {
  private static final long LONG_WAIT_MS = 60_000;

  @RegisterExtension
  final FollowedLeader leader = new FollowedLeader();
  @TempDir
  Path dir;

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
    PartitionVerticle pv = leader.deploy(dir);
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(fetchAt(2));
    Semaphore gate = leader.storage.gate();
    Future<?> c = pv.append(TestBatches.batch("c"), Acks.LEADER);
    Future<?> d = pv.append(TestBatches.batch("d"), Acks.LEADER);
    probe(pv); // both appends reached the context: "d" is queued behind "c" when "c" completes
    int before = leader.storage.tasks();
    gate.release(1_000);
    get(c);
    get(d);

    ReplicaFetchResponse response = get(waiting);
    assertThat(TestBatches.offsetsAndValues(bytes(response))).as("both appends, not the first alone")
        .containsExactly("2=c", "3=d");
    // both writers were given to the storage when queued, before the gate opened
    assertThat(leader.storage.tasks() - before).as("no read of the log").isZero();
    assertThat(bytes(response)).as("the bytes a read of the log answers").isEqualTo(bytes(get(pv.replicaFetch(
        new ReplicaFetchRequest(TP, 2, 1, 2, 1, 1 << 20, 0)))));
    assertThat(response.recordsBuf().isDirect()).isTrue();
    response.releaseRecords();
    assertThat(response.recordsBuf().refCnt()).as("the held copy and the second one given back").isZero();
  }

  @Test
  void aFetchArrivingAtAHeldAppendWaitsForTheNextOneInsteadOfReadingTheLog() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    Semaphore gate = leader.storage.gate();
    Future<?> c = pv.append(TestBatches.batch("c"), Acks.LEADER);
    Future<?> d = pv.append(TestBatches.batch("d"), Acks.LEADER);
    probe(pv);
    gate.release(1); // "c" is written and held; "d" waits for a permit
    get(c);
    probe(pv); // "d"'s write was submitted after "c" completed
    int before = leader.storage.tasks();
    Future<ReplicaFetchResponse> fetch = pv.replicaFetch(fetchAt(2));
    probe(pv);
    assertThat(leader.storage.tasks() - before).as("no read of the log for a fetch at the held append").isZero();
    gate.release(1_000);
    get(d);

    assertThat(TestBatches.offsetsAndValues(bytes(get(fetch)))).containsExactly("2=c", "3=d");
  }

  @Test
  void appendsOneAtATimeAreNotHeld() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(fetchAt(1));
    get(pv.append(TestBatches.batch("b"), Acks.LEADER));
    assertThat(TestBatches.offsetsAndValues(bytes(get(waiting)))).containsExactly("1=b");
  }

  private static ReplicaFetchRequest fetchAt(long offset) {
    return new ReplicaFetchRequest(TP, 2, 1, offset, 1, 1 << 20, LONG_WAIT_MS);
  }
}
