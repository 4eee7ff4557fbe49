package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.CommittedOffset;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.ElectionType;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetCommit;
import io.sluice.api.OffsetRange;
import io.sluice.api.ProducerIdentity;
import io.sluice.api.ProducerState;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TxnMarker;
import io.sluice.broker.Broker;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator whose {@code __consumer_offsets} partition moved to another broker, still running and not aware of it
 * (a zombie: here a second coordinator on the old leader that stops following leadership), cannot undo what the new
 * coordinator decides: its group and transaction writes are refused by the partition's new leader (the leader epoch
 * it loaded at is old) and answered NOT_COORDINATOR, and its late transaction markers are refused by the data
 * partitions (TRANSACTION_COORDINATOR_FENCED: a newer coordinator epoch wrote there). Each time it drops the partition.
 */
@Tag("several-brokers")
class CoordinatorMoveFencingTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext SELF = RequestContext.SELF;
  private static final TopicPartition OFFSETS = new TopicPartition(OffsetsTopic.NAME, 0);
  private static final TopicPartition DATA = new TopicPartition("d", 0);
  private static final String GROUP = "g";
  private static final String TXN_ID = "tx";
  private static final long WAIT_MS = InProcessCluster.WAIT_MS;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private GroupCoordinator zombie;
  /** The leader of the offsets partition at the start (the zombie's broker), and the one it moves to. */
  private int oldLeader;
  private int newLeader;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1)
        .set(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, 3)
        // the zombie's transactions are unknown to its broker's own coordinator: no verification asked
        .set(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false).start(3);
    Broker first = cluster.broker(1);
    await(first.service().createTopic(SELF, new NewTopic(OffsetsTopic.NAME, 1, 3,
        OffsetsTopic.topicConfigs(GroupConfig.from(first.config())))));
    await(first.service().createTopic(SELF, new NewTopic(DATA.topic(), 1, 3, Map.of())));
    cluster.awaitEverywhere(s -> state(s, OFFSETS) != null && state(s, OFFSETS).isr().size() == 3
        && state(s, DATA) != null && state(s, DATA).isr().size() == 3);
    oldLeader = cluster.leader(OFFSETS);
    newLeader = oldLeader % 3 + 1;
  }

  @AfterEach
  void stopAll() throws Exception {
    try {
      if (zombie != null) {
        await(zombie.close());
      }
    } finally {
      cluster.close();
    }
  }

  @Test
  void aCommitSentByACoordinatorWhosePartitionMovedIsRefusedAndTheNewCoordinatorsOffsetsStand() throws Exception {
    startZombie(cluster.broker(oldLeader).service());
    await(zombie.run(GROUP, () -> zombie.commit(GROUP, null, -1, Map.of(DATA, 3L), "")));
    await(zombie.freezeOwnership());
    moveOffsetsLeadership();
    GroupService groups = new GroupService(cluster.broker(newLeader));
    retrying(() -> groups.commit(9));

    assertThat(code(zombie.run(GROUP, () -> zombie.commit(GROUP, null, -1, Map.of(DATA, 5L), ""))))
        .isEqualTo(ErrorCode.NOT_COORDINATOR);

    assertThat(await(zombie.run(() -> Future.succeededFuture(zombie.coordinates(GROUP))))).as("unloaded").isFalse();
    assertThat(lastInLog("offset", GROUP).getLong("offset")).as("what any later coordinator loads").isEqualTo(9);
    assertThat(retrying(groups::committed).offset()).isEqualTo(9);
  }

  @Test
  void aTransactionTheNewCoordinatorAbortedCannotBeCommittedByTheOldOne() throws Exception {
    BrokerService service = cluster.broker(oldLeader).service();
    startZombie(service);
    ProducerIdentity p = openTransaction(service);
    await(zombie.freezeOwnership());
    moveOffsetsLeadership();
    // a new producer of the id: the new coordinator aborts the open transaction, fencing the old epoch
    ProducerIdentity fresh = retrying(() -> cluster.broker(newLeader).transactions().initTransactions(SELF, TXN_ID,
        60_000));
    assertThat(fresh.producerEpoch()).isGreaterThan(p.producerEpoch());

    assertThat(code(zombie.run(TXN_ID, () -> zombie.transactions().end(TXN_ID, p, true, false).<Void>mapEmpty())))
        .isEqualTo(ErrorCode.NOT_COORDINATOR);

    TxnMetadata last = TxnMetadata.fromJson(lastInLog("txn", TXN_ID), 0);
    assertThat(last.producerEpoch()).as("the new coordinator's record is the last").isEqualTo(fresh.producerEpoch());
    assertThat(last.state()).isEqualTo(TxnState.EMPTY);
    OffsetRange data = retrying(() -> service.offsets(SELF, DATA));
    assertThat(data.lastStableOffset()).as("aborted: nothing open").isEqualTo(data.endOffset());
  }

  /**
   * The old coordinator's commit marker is late: the new coordinator completed the commit it found prepared, and the
   * producer began its next transaction in the same epoch. The late marker would commit that one; it is refused.
   */
  @Test
  void aLateMarkerOfTheOldCoordinatorIsRefusedAndTheNextTransactionStaysOpen() throws Exception {
    BrokerService service = cluster.broker(oldLeader).service();
    HeldMarkers held = new HeldMarkers(service);
    startZombie(held);
    ProducerIdentity p = openTransaction(service);
    Future<Void> zombieCommit = zombie.run(TXN_ID, () -> zombie.transactions().end(TXN_ID, p, true, false).<Void>mapEmpty());
    await(held.sent.future()); // PrepareCommit is written; its markers are on their way
    await(zombie.freezeOwnership());
    int oldEpoch = state(cluster.broker(oldLeader).metadata(), OFFSETS).leaderEpoch();
    moveOffsetsLeadership();
    int newEpoch = state(cluster.broker(newLeader).metadata(), OFFSETS).leaderEpoch();
    io.sluice.api.TransactionService txns = cluster.broker(newLeader).transactions();
    Awaitility.await("the new coordinator completes the commit").atMost(Duration.ofMillis(WAIT_MS))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> "CompleteCommit".equals(retrying(() -> txns.describe(SELF, TXN_ID)).state()));
    retrying(() -> txns.addPartitions(SELF, TXN_ID, p, List.of(DATA))); // the next transaction, same epoch
    long nextStart = retrying(() -> service.produce(SELF, DATA, txnBatch(p, 1), Acks.ALL)).batchBaseOffsets().get(0);
    assertThat(retrying(() -> service.offsets(SELF, DATA)).lastStableOffset()).isEqualTo(nextStart);

    held.release.complete();

    assertThat(code(zombieCommit)).isEqualTo(ErrorCode.NOT_COORDINATOR);
    assertThat(held.markers).allMatch(m -> m.coordinatorEpoch() == oldEpoch);
    assertThat(retrying(() -> service.offsets(SELF, DATA)).lastStableOffset()).as("the next transaction stays open")
        .isEqualTo(nextStart);
    List<ProducerState> producers = retrying(() -> service.describeProducers(SELF, DATA));
    assertThat(producers).singleElement().satisfies(s -> {
      assertThat(s.coordinatorEpoch()).isEqualTo(newEpoch);
      assertThat(s.currentTransactionStartOffset()).isEqualTo(nextStart);
    });
    assertThat(await(zombie.run(() -> Future.succeededFuture(zombie.coordinates(TXN_ID))))).as("unloaded").isFalse();
  }

  /** The zombie's transaction: one partition added, one batch written there. */
  private ProducerIdentity openTransaction(BrokerService service) throws Exception {
    ProducerIdentity p = await(zombie.run(TXN_ID, () -> zombie.transactions().init(TXN_ID, 60_000)));
    await(zombie.run(TXN_ID, () -> zombie.transactions().addPartitions(TXN_ID, p, List.of(DATA))));
    retrying(() -> service.produce(SELF, DATA, txnBatch(p, 0), Acks.ALL));
    return p;
  }

  /** A second coordinator on the offsets partition's leader, serving the partition like that broker's own. */
  private void startZombie(BrokerService service) throws Exception {
    Broker broker = cluster.broker(oldLeader);
    zombie = new GroupCoordinator(broker.vertx(), service, GroupConfig.from(broker.config()),
        System::currentTimeMillis);
    zombie.followLeadership(oldLeader);
    await(zombie.start());
    Awaitility.await("the zombie-to-be serves the partition").atMost(Duration.ofMillis(WAIT_MS))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> await(zombie.run(() -> Future.succeededFuture(zombie.coordinates(GROUP)))));
  }

  /** A reassignment putting {@link #newLeader} first, then a preferred election. */
  private void moveOffsetsLeadership() throws Exception {
    BrokerService service = cluster.broker(newLeader).service();
    int third = 6 - oldLeader - newLeader;
    await(service.alterPartitionReassignment(SELF, OFFSETS, List.of(newLeader, oldLeader, third)));
    cluster.awaitEverywhere(s -> s.topic(OffsetsTopic.NAME).orElseThrow().assignment().get(0).get(0) == newLeader
        && state(s, OFFSETS).isr().size() == 3);
    await(service.electLeaders(SELF, ElectionType.PREFERRED, List.of(OFFSETS)));
    cluster.awaitEverywhere(s -> state(s, OFFSETS).leader() == newLeader);
  }

  /** The value of the last record of {@code kind} and {@code id} in the offsets partition, read at its leader. */
  private io.vertx.core.json.JsonObject lastInLog(String kind, String id) throws Exception {
    Broker reader = cluster.broker(newLeader);
    OffsetsTopic topic = new OffsetsTopic(reader.service(), reader.vertx().createSharedWorkerExecutor("log-read", 1));
    AtomicReference<io.vertx.core.json.JsonObject> last = new AtomicReference<>();
    retrying(() -> topic.load(0, e -> {
      if (e.kind().equals(kind) && e.group().equals(id)) {
        last.set(e.value());
      }
    }));
    return last.get();
  }

  private static ByteBuffer txnBatch(ProducerIdentity p, int sequence) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(p.producerId(), p.producerEpoch(), sequence)
        .transactional().append(1_000, null, ("v" + sequence).getBytes(), null).build();
  }

  private static PartitionState state(MetadataSnapshot s, TopicPartition tp) {
    return s.topic(tp.topic()).map(t -> t.states().get(tp.partition())).orElse(null);
  }

  /** The group's commits through a broker's routed group service (to the group's coordinator, wherever it is). */
  private record GroupService(Broker broker) {
    Future<Void> commit(long offset) {
      return broker.services().groups().commit(SELF, GROUP, null, -1, Map.of(DATA, new OffsetCommit(offset, "")));
    }

    Future<CommittedOffset> committed() {
      return broker.services().groups().fetchOffsets(SELF, GROUP, List.of(DATA)).map(m -> m.get(DATA));
    }
  }

  /** Holds the transaction markers until released, recording them. */
  private static final class HeldMarkers extends DelegatingBrokerService {
    final Promise<Void> sent = Promise.promise();
    final Promise<Void> release = Promise.promise();
    final List<TxnMarker> markers = new java.util.concurrent.CopyOnWriteArrayList<>();

    HeldMarkers(BrokerService delegate) {
      super(delegate);
    }

    @Override
    public Future<Map<TopicPartition, ErrorCode>> writeTxnMarkers(RequestContext caller, TxnMarker marker) {
      markers.add(marker);
      sent.tryComplete();
      return release.future().compose(v -> delegate.writeTxnMarkers(caller, marker));
    }
  }

  /** {@code call}'s answer, asked again while it fails retriably (a coordinator or leader moving), as a client would. */
  private static <T> T retrying(Supplier<Future<T>> call) {
    AtomicReference<T> answer = new AtomicReference<>();
    Awaitility.await().atMost(Duration.ofMillis(WAIT_MS)).pollInterval(Duration.ofMillis(50)).until(() -> {
      try {
        answer.set(await(call.get()));
        return true;
      } catch (SluiceException e) {
        if (!e.errorCode().retriable()) {
          throw e;
        }
        return false;
      }
    });
    return answer.get();
  }

  private static ErrorCode code(Future<?> f) throws Exception {
    try {
      await(f);
    } catch (SluiceException e) {
      return e.errorCode();
    }
    throw new AssertionError("no failure");
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(90, TimeUnit.SECONDS);
  }
}
