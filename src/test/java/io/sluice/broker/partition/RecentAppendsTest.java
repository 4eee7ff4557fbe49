package io.sluice.broker.partition;

import static io.sluice.broker.partition.FollowedLeader.REPLICAS;
import static io.sluice.broker.partition.FollowedLeader.TP;
import static io.sluice.broker.partition.FollowedLeader.bytes;
import static io.sluice.broker.partition.FollowedLeader.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.Acks;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.testing.TestBatches;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replicated leader keeps its last appends for follower fetches that arrive behind its log end: such a fetch is
 * answered from memory without a storage task, with the bytes a read of the log gives; the appends are given back
 * once every in-sync follower fetched past them, when leadership moves, on close, and whatever the budget cannot
 * hold; a budget of 0 keeps nothing. Netty's leak detector watches every buffer (paranoid).
 */
class RecentAppendsTest {
  @RegisterExtension
  @Order(1)
  final NettyLeaks leaks = new NettyLeaks();
  @RegisterExtension
  @Order(2)
  final FollowedLeader leader = new FollowedLeader();
  @TempDir
  Path dir;

  /** Follower 2's fetch at {@code offset} answered at once (no wait), up to {@code maxBytes}. */
  private static ReplicaFetchRequest fetchAt(long offset, int maxBytes) {
    return new ReplicaFetchRequest(TP, 2, 1, offset, 1, maxBytes, 0);
  }

  /** Appends one batch per value, acknowledged by the leader alone: no follower fetched them yet. */
  private static void append(PartitionVerticle pv, String... values) throws Exception {
    for (String v : values) {
      get(pv.append(TestBatches.batch(v + " ".repeat(200)), Acks.LEADER));
    }
  }

  private static int batchBytes() {
    return TestBatches.batch("a" + " ".repeat(200)).remaining();
  }

  /** The records of an answer, given back: "offset=value" with the padding trimmed. */
  private static List<String> records(ReplicaFetchResponse response) {
    ByteBuffer b = bytes(response);
    response.releaseRecords();
    return TestBatches.offsetsAndValues(b).stream().map(String::strip).toList();
  }

  @Test
  void aFetchBehindTheLogEndIsAnsweredFromMemoryWithTheLogsBytes() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(1 << 20);
    PartitionVerticle pv = leader.deploy(dir, cache);
    append(pv, "a", "b", "c");
    assertThat(cache.bytes()).as("three appends kept").isEqualTo(3L * batchBytes());

    int tasks = leader.storage.tasks();
    ReplicaFetchResponse fromMemory = get(pv.replicaFetch(fetchAt(1, 1 << 20)));
    ByteBuffer answered = bytes(fromMemory);
    assertThat(TestBatches.offsetsAndValues(answered).stream().map(String::strip)).containsExactly("1=b", "2=c");
    assertThat(leader.storage.tasks() - tasks).as("storage tasks").isZero();
    assertThat(cache.fromRecent()).isEqualTo(1);
    assertThat(cache.fromStorage()).isZero();
    ByteBuf buf = fromMemory.recordsBuf();
    assertThat(buf.isDirect()).isTrue();
    fromMemory.releaseRecords();
    assertThat(buf.refCnt()).as("the answer's own reference given back").isZero();

    // Follower 2, the ISR's other member, fetches at the log end: the high watermark passes every kept append.
    assertThat(records(get(pv.replicaFetch(fetchAt(3, 1 << 20))))).isEmpty();
    assertThat(pv.highWatermark()).isEqualTo(3);
    assertThat(cache.bytes()).as("given back once every in-sync follower has them").isZero();
    ReplicaFetchResponse fromLog = get(pv.replicaFetch(fetchAt(1, 1 << 20)));
    assertThat(cache.fromStorage()).as("nothing kept: the log answers").isEqualTo(1);
    assertThat(bytes(fromLog)).as("the bytes a read of the log answers").isEqualTo(answered);
    fromLog.releaseRecords();
  }

  @Test
  void anAnswerFromMemoryHoldsWholeAppendsUpToTheFetchsBytesAndTheLogAnswersWhatNoneStartsAt() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(1 << 20);
    PartitionVerticle pv = leader.deploy(dir, cache);
    append(pv, "a", "b", "c");
    get(pv.append(ByteBuffer.wrap(concat(TestBatches.batch("d"), TestBatches.batch("e"))), Acks.LEADER));

    assertThat(records(get(pv.replicaFetch(fetchAt(0, 2 * batchBytes() + 10))))).containsExactly("0=a", "1=b");
    assertThat(cache.fromRecent()).isEqualTo(1);
    assertThat(records(get(pv.replicaFetch(fetchAt(4, 1 << 20))))).as("inside an append: read from the log")
        .containsExactly("4=e");
    assertThat(records(get(pv.replicaFetch(fetchAt(0, batchBytes() - 1))))).as("the first does not fit: the log")
        .containsExactly("0=a");
    assertThat(cache.fromRecent()).isEqualTo(1);
    assertThat(cache.fromStorage()).isEqualTo(2);
  }

  @Test
  void theBudgetBoundsWhatIsKeptTheOldestLeaving() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(2L * batchBytes() + batchBytes() / 2);
    PartitionVerticle pv = leader.deploy(dir, cache);
    append(pv, "a", "b", "c", "d");
    assertThat(cache.bytes()).as("two appends fit").isEqualTo(2L * batchBytes());

    int tasks = leader.storage.tasks();
    assertThat(records(get(pv.replicaFetch(fetchAt(2, 1 << 20))))).containsExactly("2=c", "3=d");
    assertThat(leader.storage.tasks() - tasks).as("kept: no storage task").isZero();
    assertThat(records(get(pv.replicaFetch(fetchAt(1, 1 << 20))))).containsExactly("1=b", "2=c", "3=d");
    assertThat(leader.storage.tasks() - tasks).as("dropped for room: read from the log").isEqualTo(1);
    assertThat(cache.fromRecent()).isEqualTo(1);
    assertThat(cache.fromStorage()).isEqualTo(1);
  }

  @Test
  void aBudgetOfZeroKeepsNothing() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(0);
    PartitionVerticle pv = leader.deploy(dir, cache);
    append(pv, "a", "b");
    assertThat(cache.bytes()).isZero();
    int tasks = leader.storage.tasks();
    assertThat(records(get(pv.replicaFetch(fetchAt(1, 1 << 20))))).containsExactly("1=b");
    assertThat(leader.storage.tasks() - tasks).isEqualTo(1);
    assertThat(cache.fromRecent()).isZero();
    assertThat(cache.fromStorage()).isEqualTo(1);
  }

  @Test
  void leadershipMovingGivesEverythingBackAndATruncatedLogIsNeverAnsweredFromTheOldAppends() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(1 << 20);
    PartitionVerticle pv = leader.deploy(dir, cache);
    append(pv, "a", "b", "c");
    assertThat(cache.bytes()).isPositive();

    pv.updateSettings(new PartitionVerticle.Settings(2, 2, REPLICAS, REPLICAS, 1, 1));
    await().until(() -> cache.bytes() == 0);
    truncateTo(pv, 1);
    pv.updateSettings(new PartitionVerticle.Settings(1, 3, REPLICAS, REPLICAS, 1, 2));
    await().until(pv::isLeader);
    get(pv.append(TestBatches.batch("x"), Acks.LEADER));

    ReplicaFetchResponse response = get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 3, 1, 1, 1 << 20, 0)));
    assertThat(response.error()).isNull();
    assertThat(records(response)).as("the new leadership's append, not the old").containsExactly("1=x");
    assertThat(cache.fromRecent()).isEqualTo(1);
  }

  @Test
  void closingThePartitionGivesEverythingBack() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(1 << 20);
    PartitionVerticle pv = leader.deploy(dir, cache);
    append(pv, "a", "b");
    assertThat(cache.bytes()).isPositive();
    get(leader.vertx.undeploy(pv.deploymentID()));
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void anAppendCompletingWhileThePartitionClosesIsNotKept() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(1 << 20);
    PartitionVerticle pv = leader.deploy(dir, cache);
    append(pv, "a");
    Semaphore gate = leader.storage.gate();
    Future<?> inFlight = pv.append(TestBatches.batch("b"), Acks.LEADER);
    Future<?> closed = leader.vertx.undeploy(pv.deploymentID()); // the close waits for the write queued before it
    gate.release(1_000);
    get(closed);
    assertThat(inFlight.succeeded()).as("written before the log closed").isTrue();
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void aLeaderAloneInTheIsrKeepsNothing() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(1 << 20);
    PartitionVerticle pv = leader.deploy(dir, cache);
    pv.updateSettings(new PartitionVerticle.Settings(1, 1, List.of(1), REPLICAS, 1, 1));
    await().until(() -> pv.settings().isrSize() == 1);
    append(pv, "a", "b");
    assertThat(pv.highWatermark()).isEqualTo(2);
    assertThat(cache.bytes()).as("committed on append: no in-sync follower needs them").isZero();
  }

  /**
   * Truncates {@code pv}'s log on its context. (Taking the context from a callback of one of its futures raced: a
   * future completed before the callback was added runs it on the caller's thread, which has no context.)
   */
  private static void truncateTo(PartitionVerticle pv, long offset) throws Exception {
    get(pv.onOwnContext(() -> pv.truncateTo(offset)));
  }

  private static byte[] concat(ByteBuffer a, ByteBuffer b) {
    byte[] out = new byte[a.remaining() + b.remaining()];
    a.get(out, 0, a.remaining());
    b.get(out, out.length - b.remaining(), b.remaining());
    return out;
  }
}
