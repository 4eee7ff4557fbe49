package io.sluice.cluster;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.api.Acks;
import io.sluice.api.ElectionResult;
import io.sluice.api.ElectionType;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.NewTopic;
import io.sluice.api.PartitionReassignmentInfo;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionReassignment;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.data.Stat;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition reassignment and leader elections on three brokers in one JVM, against a ZooKeeper of the test's own (so
 * any broker, the controller included, can be stopped): a move under an acks=all producer loses no acknowledged
 * record and leaves the data on the new replicas only; a replication factor grows; a cancellation returns to the
 * original replicas; a reassignment stored in ZooKeeper is completed by the next controller; a preferred election.
 */
@Tag("several-brokers")
class ReassignmentClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final long WAIT_MS = 60_000;

  @TempDir
  Path dir;
  private InProcessCluster cluster;

  @BeforeEach
  void startAll() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, 2_000).start(3);
  }

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private Broker broker(int id) {
    return cluster.broker(id);
  }

  @Test
  void aMoveUnderAnAcksAllProducerKeepsEveryAcknowledgedRecordOnTheNewReplicasOnly() throws Exception {
    TopicPartition tp = new TopicPartition("moved", 0);
    await(broker(1).service().createTopic(CALLER, new NewTopic("moved", 1, 2, Map.of("min.insync.replicas", "2"))));
    assertThat(replicas(broker(1).metadata(), tp)).containsExactly(1, 2);
    ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread producer = new Thread(() -> produceUntil(stop, tp, acked), "acks-all-producer");
    producer.start();
    List<String> consumed = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicLong position = new java.util.concurrent.atomic.AtomicLong();
    AtomicBoolean stopReading = new AtomicBoolean();
    Thread consumer = new Thread(() -> consumeUntil(stopReading, tp, consumed, position), "consumer");
    consumer.start();
    try {
      Awaitility.await("the producer gets acknowledgements").atMost(Duration.ofMinutes(1))
          .until(() -> acked.size() >= 20);

      PartitionReassignmentInfo started = await(broker(3).service().alterPartitionReassignment(CALLER, tp,
          List.of(2, 3)));

      assertThat(started.replicas()).as("the target first, then the replica leaving").containsExactly(2, 3, 1);
      assertThat(started.addingReplicas()).containsExactly(3);
      assertThat(started.removingReplicas()).containsExactly(1);
      for (Broker b : cluster.brokers().values()) {
        await(b.awaitMetadata(s -> done(s, tp, List.of(2, 3)), WAIT_MS));
      }
      int before = acked.size();
      Awaitility.await("the producer goes on after the move").atMost(Duration.ofMinutes(1))
          .until(() -> acked.size() >= before + 20);
    } finally {
      stop.set(true);
      producer.join();
    }
    long end = retrying(() -> broker(3).service().offsets(CALLER, tp)).endOffset();
    try {
      Awaitility.await("the consumer reads on across the move to the end " + end).atMost(Duration.ofMinutes(1))
          .until(() -> position.get() >= end);
    } finally {
      stopReading.set(true);
      consumer.join();
    }
    assertThat(consumed).as("read once each, in order, across the move").containsSubsequence(List.copyOf(acked))
        .doesNotHaveDuplicates();
    PartitionState state = state(broker(2).metadata(), tp);
    assertThat(state.isr()).containsExactlyInAnyOrder(2, 3);
    assertThat(state.leader()).isIn(2, 3);
    Awaitility.await("broker 1 deletes its log").atMost(Duration.ofMinutes(1))
        .until(() -> !broker(1).hostedPartitions().contains(tp)
        && !Files.exists(broker(1).config().dataDir().resolve(tp.dirName())));
    assertThat(await(broker(1).service().listPartitionReassignments(CALLER))).isEmpty();

    cluster.stop(1);
    assertThat(readAll(broker(2), tp)).as("read from leader " + state.leader()).containsAll(acked);
    // the other new replica leads next: it holds them too
    int other = state.leader() == 2 ? 3 : 2;
    await(broker(2).service().alterPartitionReassignment(CALLER, tp, List.of(other, state.leader())));
    await(broker(2).awaitMetadata(s -> replicas(s, tp).get(0) == other, WAIT_MS));
    List<ElectionResult> elected = await(broker(2).service().electLeaders(CALLER, ElectionType.PREFERRED,
        List.of(tp)));
    assertThat(elected).singleElement().satisfies(r -> assertThat(r.errorCode()).isZero())
        .satisfies(r -> assertThat(r.leader()).isEqualTo(other));
    assertThat(readAll(broker(2), tp)).as("read from leader " + other).containsAll(acked);
    assertThat(await(broker(2).service().electLeaders(CALLER, ElectionType.PREFERRED, List.of(tp))))
        .singleElement().satisfies(r -> assertThat(r.errorCode()).isEqualTo(ErrorCode.ELECTION_NOT_NEEDED.code()));
  }

  @Test
  void aReplicationFactorGrowsFromOneToThree() throws Exception {
    TopicPartition tp = new TopicPartition("grown", 0);
    await(broker(1).service().createTopic(CALLER, new NewTopic("grown", 1, 1, Map.of())));
    int only = replicas(broker(1).metadata(), tp).get(0);
    for (int i = 0; i < 10; i++) {
      await(broker(1).service().produce(CALLER, tp, batch("r" + i), Acks.ALL));
    }
    List<Integer> target = new ArrayList<>(List.of(only));
    List.of(1, 2, 3).stream().filter(b -> b != only).forEach(target::add);

    await(broker(1).service().alterPartitionReassignment(CALLER, tp, target));

    MetadataSnapshot s = await(broker(1).awaitMetadata(snap -> done(snap, tp, target), WAIT_MS));
    assertThat(state(s, tp).isr()).containsExactlyInAnyOrderElementsOf(target);
    assertThat(s.topic("grown").orElseThrow().replicationFactor()).isEqualTo(3);
    await(broker(1).service().produce(CALLER, tp, batch("after"), Acks.ALL));
    assertThat(readAll(broker(2), tp)).hasSize(11);
  }

  @Test
  void aCancellationReturnsToTheOriginalReplicasAndARefusalNamesWhy() throws Exception {
    TopicPartition tp = new TopicPartition("cancelled", 0);
    await(broker(1).service().createTopic(CALLER, new NewTopic("cancelled", 1, 1, Map.of())));
    int only = replicas(broker(1).metadata(), tp).get(0);
    int other = only == 1 ? 2 : 1;
    assertRefused(broker(1).service().alterPartitionReassignment(CALLER, tp, null),
        ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    assertRefused(broker(1).service().alterPartitionReassignment(CALLER, tp, List.of()),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assertRefused(broker(1).service().alterPartitionReassignment(CALLER, tp, List.of(other, other)),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assertRefused(broker(1).service().alterPartitionReassignment(CALLER, tp, List.of(only, 9)),
        ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    // broker `other` stopped: a reassignment adding it waits, so it can be cancelled (written in ZooKeeper directly,
    // since a request naming a dead broker is refused)
    cluster.stop(other);
    await(broker(3).awaitMetadata(snap -> !snap.liveBrokerIds().contains(other), WAIT_MS));
    writeReassignment(tp, List.of(only, other));
    await(broker(3).awaitMetadata(snap -> snap.topic(tp.topic()).orElseThrow().reassignments().containsKey(0),
        WAIT_MS));
    assertThat(await(broker(3).service().listPartitionReassignments(CALLER))).singleElement()
        .satisfies(r -> assertThat(r.addingReplicas()).containsExactly(other));
    assertRefused(broker(3).service().createPartitions(CALLER, "cancelled", 2), ErrorCode.REASSIGNMENT_IN_PROGRESS);

    PartitionReassignmentInfo cancelled = await(broker(3).service().alterPartitionReassignment(CALLER, tp, null));

    assertThat(cancelled.replicas()).containsExactly(only);
    assertThat(cancelled.inProgress()).isFalse();
    assertThat(await(broker(3).service().listPartitionReassignments(CALLER))).isEmpty();
  }

  @Test
  void aReassignmentStoredInZooKeeperIsCompletedByTheNextControllerOnceItsTargetReturns() throws Exception {
    // one partition on each broker: the one on neither the controller nor the target is moved
    await(broker(1).service().createTopic(CALLER, new NewTopic("survives", 3, 1, Map.of())));
    int controller = broker(1).metadata().liveController();
    int target = controller == 3 ? 2 : 3;
    int only = 6 - controller - target;
    TopicPartition tp = List.of(0, 1, 2).stream().map(p -> new TopicPartition("survives", p))
        .filter(p -> replicas(broker(1).metadata(), p).equals(List.of(only))).findFirst().orElseThrow();
    cluster.stop(target);
    await(broker(only).awaitMetadata(s -> !s.liveBrokerIds().contains(target), WAIT_MS));
    writeReassignment(tp, List.of(target, only));
    await(broker(only).awaitMetadata(s -> s.topic(tp.topic()).orElseThrow().reassignments().containsKey(
        tp.partition()), WAIT_MS));
    cluster.stop(controller);
    await(broker(only).awaitMetadata(s -> s.liveController() == only, WAIT_MS));
    assertThat(await(broker(only).service().listPartitionReassignments(CALLER))).as("still in progress")
        .singleElement().satisfies(r -> assertThat(r.addingReplicas()).containsExactly(target));

    cluster.startBroker(target);

    MetadataSnapshot s = await(broker(target).awaitMetadata(snap -> done(snap, tp, List.of(target, only)), WAIT_MS));
    assertThat(state(s, tp).isr()).containsExactlyInAnyOrder(target, only);
    List<ElectionResult> elected = await(broker(target).service().electLeaders(CALLER, ElectionType.PREFERRED,
        List.of()));
    assertThat(elected).filteredOn(r -> r.partition().equals(tp)).singleElement()
        .satisfies(r -> assertThat(r.leader()).isEqualTo(target));
  }

  @Test
  void aBrokerDownWhileMovedOffAPartitionDeletesItsLogWhenItReturnsAndKeepsTheRest() throws Exception {
    TopicPartition moved = new TopicPartition("strayed", 0);
    TopicPartition kept = new TopicPartition("kept", 0);
    await(broker(1).service().createTopic(CALLER, new NewTopic("strayed", 1, 2, Map.of())));
    await(broker(1).service().createTopic(CALLER, new NewTopic("kept", 1, 3, Map.of())));
    List<Integer> before = replicas(broker(1).metadata(), moved);
    int stays = before.get(0);
    int down = before.get(1);
    int target = 6 - stays - down;
    Path downDir = cluster.dataDir(down);
    Awaitility.await("broker " + down + " hosts both").atMost(Duration.ofMinutes(1))
        .until(() -> broker(down).hostedPartitions().containsAll(List.of(moved, kept)));
    cluster.stop(down);
    await(broker(stays).awaitMetadata(s -> !s.liveBrokerIds().contains(down), WAIT_MS));

    await(broker(stays).service().alterPartitionReassignment(CALLER, moved, List.of(stays, target)));
    await(broker(stays).awaitMetadata(s -> done(s, moved, List.of(stays, target)), WAIT_MS));
    assertThat(downDir.resolve(moved.dirName())).as("the broker was down: nothing deleted it").isDirectory();
    Files.createDirectories(downDir.resolve("ghost-0")); // a topic ZooKeeper does not know: left alone

    cluster.startBroker(down);

    Awaitility.await("the returning broker deletes the log it no longer holds").atMost(Duration.ofMinutes(1))
        .until(() -> !Files.exists(downDir.resolve(moved.dirName())));
    assertThat(broker(down).hostedPartitions()).contains(kept).doesNotContain(moved);
    assertThat(downDir.resolve(kept.dirName())).isDirectory();
    assertThat(downDir.resolve("ghost-0")).isDirectory();
  }

  /** Writes a reassignment of {@code tp} to {@code target} into the topic's znode as a broker would. */
  private void writeReassignment(TopicPartition tp, List<Integer> target) throws Exception {
    try (CuratorFramework zk = CuratorFrameworkFactory.newClient(cluster.zookeeperConnect(), new RetryOneTime(100))) {
      zk.start();
      CuratorFramework ns = zk.usingNamespace(ZkPaths.NAMESPACE);
      Stat stat = new Stat();
      TopicState t = TopicState.fromJson(tp.topic(), ns.getData().storingStatIn(stat).forPath(ZkPaths.topic(tp.topic())));
      TopicState next = t.withPartition(tp.partition(), PartitionReassignment.reassignTo(
          t.assignment().get(tp.partition()), null, target));
      ns.setData().withVersion(stat.getVersion()).forPath(ZkPaths.topic(tp.topic()), next.toJson());
    }
  }

  private void produceUntil(AtomicBoolean stop, TopicPartition tp, ConcurrentLinkedQueue<String> acked) {
    int seq = 0;
    while (!stop.get()) {
      String value = "v" + seq++;
      try {
        broker(3).service().produce(CALLER, tp, batch(value), Acks.ALL).await(30, TimeUnit.SECONDS);
        acked.add(value);
      } catch (Exception e) {
        // not acknowledged (a leader change, too few in sync for a moment): never counted
      }
    }
  }

  /** A consumer reading through broker 3 (a replica before, during and after the move), retrying any refusal. */
  private void consumeUntil(AtomicBoolean stop, TopicPartition tp, List<String> consumed,
      java.util.concurrent.atomic.AtomicLong position) {
    while (!stop.get()) {
      try {
        FetchResult r = broker(3).service().fetch(CALLER, new FetchRequest(tp, position.get(), 1 << 20, 1, 200))
            .await(30, TimeUnit.SECONDS);
        if (r.batches().sizeInBytes() > 0) {
          TestBatches.records(r.batches().readBytes()).forEach(rec -> consumed.add(TestBatches.value(rec)));
          position.set(r.nextOffset());
        }
      } catch (Exception e) {
        // a leader moving: read again from the same position
      }
    }
  }

  private static List<String> readAll(Broker via, TopicPartition tp) throws Exception {
    List<String> values = new ArrayList<>();
    long offset = 0;
    while (true) {
      long from = offset;
      FetchResult r = retrying(() -> via.service().fetch(CALLER, new FetchRequest(tp, from, 1 << 20, 0, 0)));
      if (r.nextOffset() <= offset || r.batches().sizeInBytes() == 0) {
        return values;
      }
      TestBatches.records(r.batches().readBytes()).forEach(rec -> values.add(TestBatches.value(rec)));
      offset = r.nextOffset();
    }
  }

  private static boolean done(MetadataSnapshot s, TopicPartition tp, List<Integer> target) {
    return s.topic(tp.topic()).map(t -> t.assignment().get(tp.partition()).equals(target)
        && !t.reassignments().containsKey(tp.partition())
        && Set.copyOf(t.states().get(tp.partition()).isr()).equals(Set.copyOf(target))).orElse(false);
  }

  private static List<Integer> replicas(MetadataSnapshot s, TopicPartition tp) {
    return s.topic(tp.topic()).orElseThrow().assignment().get(tp.partition());
  }

  private static PartitionState state(MetadataSnapshot s, TopicPartition tp) {
    return s.topic(tp.topic()).orElseThrow().states().get(tp.partition());
  }

  private static void assertRefused(Future<?> call, ErrorCode code) {
    Throwable t = catchThrowable(() -> await(call));
    assertThat(t).isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode()).isEqualTo(code));
  }

  /**
   * {@code call}'s answer, made again while it fails retriably (a new leader's high watermark not yet at its epoch's
   * start, a leader moving), as a client would.
   */
  private static <T> T retrying(java.util.function.Supplier<Future<T>> call) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      try {
        return await(call.get());
      } catch (SluiceException e) {
        if (!e.errorCode().retriable() || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(10); // a client's back-off before it asks again, not synchronization
      }
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(90, TimeUnit.SECONDS);
  }
}
