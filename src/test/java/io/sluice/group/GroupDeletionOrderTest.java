package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetCommit;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * DeleteGroups writes the group's tombstone after every record of the group, so a coordinator that loads the offsets
 * topic (after kill -9 of the one that deleted it) does not bring the group back: a rebalance running or due writes
 * its record first, and the sweep's empty-group record waits for a tombstone in flight. A second coordinator on a
 * real broker (single-broker mode) does the work; its writes and rebalances are held by seams, not timed.
 */
class GroupDeletionOrderTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.anonymous("test", "127.0.0.1:1", "DeletionOrder");
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String GROUP = "deleted";
  private static final TopicPartition TP = new TopicPartition("t", 0);

  @TempDir
  Path dir;
  private Broker broker;
  private HeldAcks held;
  private final HeldRebalance rebalances = new HeldRebalance();
  private GroupCoordinator coordinator;
  private LocalGroupService groups;

  @BeforeEach
  void start() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 2,
        BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS, 500)), GUARD);
    result(broker.service().createTopic(RequestContext.internal(1), new NewTopic("t", 1, 1, Map.of())));
    held = new HeldAcks(broker.service());
    coordinator = new GroupCoordinator(broker.vertx(), held, GroupConfig.from(broker.config()),
        System::currentTimeMillis);
    coordinator.listener(rebalances);
    result(coordinator.start());
    groups = new LocalGroupService(coordinator);
    result(groups.commit(CALLER, GROUP, null, -1, Map.of(TP, new OffsetCommit(3, "m"))));
  }

  @AfterEach
  void stop() throws Exception {
    if (held != null) {
      held.release.tryComplete();
    }
    rebalances.release();
    if (coordinator != null) {
      result(coordinator.close());
    }
    TestBrokers.close(broker);
  }

  @Test
  void aDeletionWaitsForTheRebalanceRunningWhenTheLastMemberLeftAndWritesItsTombstoneLast() throws Exception {
    Member m = joinAndRebalance();
    rebalances.armed.set(true);
    result(coordinator.run(GROUP, () -> {
      Group g = coordinator.group(GROUP);
      g.resubscribe(m.memberId(), Subscription.ofTopics(List.of("t", "u")));
      coordinator.ensureRebalanced(g);
      return Future.succeededFuture();
    }));
    result(rebalances.reached.future());
    result(coordinator.run(GROUP, () -> groups.leaveNow(GROUP, m.memberId())));
    Future<Void> deleted = groups.deleteGroup(CALLER, GROUP);
    rebalances.release();

    result(deleted);
    assertTombstoneLastAndGroupGoneOnReload();
  }

  @Test
  void theSweepsEmptyGroupRecordWaitsForTheTombstoneOfADeletionInFlight() throws Exception {
    Member m = joinAndRebalance();
    held.armed.set(true);
    // The last member leaves and the group is deleted at once (one task: no sweep between them), so the group has no
    // empty-group record yet while its tombstone waits for its acknowledgement (replication, under acks=all).
    Future<Void> deleted = result(coordinator.run(GROUP, () -> {
      groups.leaveNow(GROUP, m.memberId());
      return Future.succeededFuture(new GroupDeletion(coordinator).delete(GROUP));
    }));
    result(held.appended.future());
    int sweeps = rebalances.sweeps.get();
    await().atMost(WAIT).until(() -> rebalances.sweeps.get() >= sweeps + 2); // a whole sweep ran meanwhile
    held.release.complete();

    result(deleted);
    await().atMost(WAIT).until(() -> !result(coordinator.run(() -> Future.succeededFuture(coordinator.busy(GROUP)))));
    assertTombstoneLastAndGroupGoneOnReload();
  }

  @Test
  void aGroupPreparingARebalanceNotStartedIsBusyAndSettlesByRunningIt() throws Exception {
    Member m = result(coordinator.run(GROUP, () -> Future.succeededFuture(coordinator.group(GROUP)
        .join("c", Subscription.ofTopics(List.of("t")), 10_000, "range", coordinator.nowMs()))));
    assertThat(result(coordinator.run(() -> Future.succeededFuture(coordinator.busy(GROUP)))))
        .as("preparing a rebalance: what it writes is not known yet").isTrue();

    result(coordinator.run(() -> coordinator.rebalanceSettled(GROUP)));

    Group g = result(coordinator.run(() -> Future.succeededFuture(coordinator.group(GROUP))));
    assertThat(g.state()).isEqualTo(GroupState.COMPLETING_REBALANCE);
    assertThat(g.member(m.memberId()).orElseThrow().assignment()).containsExactly(TP);
    assertThat(entries()).last().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("group");
      assertThat(e.value().getInteger("generation")).isEqualTo(g.generation());
    });
  }

  private Member joinAndRebalance() throws Exception {
    return result(coordinator.run(GROUP, () -> {
      Group g = coordinator.group(GROUP);
      Member m = g.join("c", Subscription.ofTopics(List.of("t")), 10_000, "range", coordinator.nowMs());
      return coordinator.ensureRebalanced(g).map(m);
    }));
  }

  private void assertTombstoneLastAndGroupGoneOnReload() throws Exception {
    List<OffsetsTopic.Entry> written = entries();
    assertThat(written).extracting(OffsetsTopic.Entry::kind).contains("offset", "group");
    assertThat(written).last().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("group");
      assertThat(e.value()).as("the group's tombstone, after its every other record").isNull();
    });
    GroupCoordinator reloaded = new GroupCoordinator(broker.vertx(), broker.service(),
        GroupConfig.from(broker.config()), System::currentTimeMillis);
    result(reloaded.start());
    try {
      assertThat(result(reloaded.run(() -> Future.succeededFuture(reloaded.groupIds())))).doesNotContain(GROUP);
      assertThat(result(reloaded.run(() -> Future.succeededFuture(reloaded.committed(GROUP))))).isEmpty();
    } finally {
      result(reloaded.close());
    }
  }

  /** The group's records in {@code __consumer_offsets}, in log order. */
  private List<OffsetsTopic.Entry> entries() throws Exception {
    List<OffsetsTopic.Entry> out = new ArrayList<>();
    OffsetsTopic topic = coordinator.offsetsTopic();
    result(coordinator.run(() -> topic.load(topic.partitionFor(GROUP), e -> {
      if (e.key().size() > 1 && GROUP.equals(e.group())) {
        out.add(e);
      }
    })));
    return out;
  }

  /** Holds the acknowledgement (not the append) of the first offsets topic write once armed, as acks=all waits. */
  private static final class HeldAcks extends DelegatingBrokerService {
    final AtomicBoolean armed = new AtomicBoolean();
    final Promise<Void> appended = Promise.promise();
    final Promise<Void> release = Promise.promise();

    HeldAcks(BrokerService delegate) {
      super(delegate);
    }

    @Override
    public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
      Future<ProduceResult> written = delegate.produce(caller, tp, batches, acks);
      if (!tp.topic().equals(OffsetsTopic.NAME) || !armed.compareAndSet(true, false)) {
        return written;
      }
      Context context = Vertx.currentContext();
      Promise<ProduceResult> acked = Promise.promise();
      written.onComplete(ar -> {
        appended.tryComplete();
        release.future().onComplete(v -> context.runOnContext(x -> acked.handle(ar)));
      });
      return acked.future();
    }
  }

  /** Once armed, holds the next rebalance before it starts (its auto-commit step); counts the sweeps. */
  private static final class HeldRebalance implements GroupListener {
    final AtomicBoolean armed = new AtomicBoolean();
    final AtomicInteger sweeps = new AtomicInteger();
    final Promise<Void> reached = Promise.promise();
    private final Promise<Void> released = Promise.promise();

    @Override
    public Future<Void> beforeRebalance(Group group) {
      if (!armed.compareAndSet(true, false)) {
        return Future.succeededFuture();
      }
      Context context = Vertx.currentContext();
      reached.tryComplete();
      Promise<Void> resumed = Promise.promise();
      released.future().onComplete(v -> context.runOnContext(x -> resumed.complete()));
      return resumed.future();
    }

    @Override
    public void sweep(long nowMs) {
      sweeps.incrementAndGet();
    }

    void release() {
      released.tryComplete();
    }
  }

  private static <T> T result(Future<T> f) {
    try {
      return f.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
