package io.sluice.broker.cluster;

import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionReassignment;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.config.TopicConfigs;
import io.sluice.api.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The cluster controller: one broker, elected with Curator's {@link LeaderLatch} under {@code /controller}, moves
 * partition leadership when brokers die or come back.
 *
 * <p><b>Fencing.</b> On election the controller bumps {@code /controller_epoch} (a conditional write) and remembers
 * the znode's new version. Every write it then makes is a ZooKeeper {@code multi}: a version check of
 * {@code /controller_epoch} plus a {@code setData} of a partition's state conditional on the state's version
 * (Kafka's KAFKA-6082 fix). A controller that lost its latch but has not heard yet (paused, cut off) cannot write:
 * its check fails. Losing the ZooKeeper connection (SUSPENDED or LOST) makes the latch drop leadership.
 *
 * <p><b>Decisions</b>, made on every metadata snapshot while active:
 * <ul>
 *   <li>a partition whose leader is not alive gets the first live ISR member (in assignment order) as leader, the
 *       leader epoch bumped and the ISR reduced to live members (a broker still starting or stopping is no
 *       candidate: {@link Candidates}); with no live ISR member it gets a live replica
 *       outside the ISR only if {@code unclean.leader.election.enable}, and otherwise no leader (-1, epoch bumped)
 *       until an ISR member returns;</li>
 *   <li>a partition whose ISR names dead brokers loses them from the ISR (same epoch), so acks=all resumes without
 *       waiting for the leader's lag timeout;</li>
 *   <li>a partition led by a broker in controlled shutdown (its registration says so) gets another live ISR member
 *       as leader (epoch bumped), if it has one;</li>
 *   <li>a partition with a replica reassignment in progress ({@link PartitionReassignment}), once every target replica
 *       is in its ISR: leadership moves into the target if the leader leaves (epoch bumped), then the topic's znode
 *       gets the final replicas and the state the ISR without the removed ones, in one transaction.</li>
 * </ul>
 * Only a partition's assigned replicas count as alive for it, so one a reassignment dropped leaves its ISR.
 *
 * <p><b>Preferred leaders</b> ({@code auto.leader.rebalance.enable}) come back as in Kafka, not on a snapshot but
 * every {@code leader.imbalance.check.interval.seconds}, and only for a broker whose imbalance (the share of the
 * partitions it is the preferred replica of that another broker leads) exceeds
 * {@code leader.imbalance.per.broker.percentage} ({@link #rebalance}). A restarted broker thus gets its leaderships
 * back at most once per interval, in one batch, and never while it is still starting (its registration says so, as
 * a KRaft broker is fenced until it has caught up): moving a group coordinator's partition back onto a broker that
 * is still warming up cost a second coordinator move and its stall in every rolling restart.
 *
 * <p><b>Threading.</b> Decisions run on the metadata store's context; ZooKeeper calls on the ZooKeeper worker pool.
 * At most one write per partition is in flight; a snapshot that arrives meanwhile (often the write's own) is decided
 * again for that partition once the write is done, so a step that follows a write (a reassignment completing after
 * its leader moved) or a retry after a lost version race never waits for an unrelated later snapshot.
 */
public final class Controller {
  private static final System.Logger LOG = System.getLogger(Controller.class.getName());

  private final CuratorFramework client;
  private final ZkMetadataStore metadata;
  private final WorkerExecutor zk;
  private final Context context;
  private final int brokerId;
  private final boolean uncleanElection;
  private final Rebalance rebalance;
  private final Set<TopicPartition> writesInFlight = new HashSet<>();
  /** Partitions a snapshot wanted to decide while their write was in flight: decided again when it is done. */
  private final Set<TopicPartition> decideAfterWrite = new HashSet<>();
  private LeaderLatch latch;
  /** The {@code /controller_epoch} version our writes check; -1 while not active. Owned by the context. */
  private int epochZkVersion = -1;
  private int epoch;
  private boolean closed;
  private long rebalanceTimer = -1;

  /**
   * Kafka's automatic preferred-leader election.
   *
   * @param enabled {@code auto.leader.rebalance.enable}
   * @param intervalMs {@code leader.imbalance.check.interval.seconds}, in ms
   * @param imbalancePercentage {@code leader.imbalance.per.broker.percentage}
   */
  public record Rebalance(boolean enabled, long intervalMs, int imbalancePercentage) {
    public static final Rebalance OFF = new Rebalance(false, 1, 0);
  }

  public Controller(CuratorFramework client, ZkMetadataStore metadata, WorkerExecutor zk, int brokerId,
      boolean uncleanElection, Rebalance rebalance) {
    this.client = client;
    this.metadata = metadata;
    this.zk = zk;
    this.context = metadata.context();
    this.brokerId = brokerId;
    this.uncleanElection = uncleanElection;
    this.rebalance = rebalance;
  }

  /** Joins the election. */
  public Future<Void> start() {
    metadata.addListener(this::onSnapshot);
    return zk.executeBlocking(() -> {
      latch = new LeaderLatch(client, ZkPaths.CONTROLLER, Integer.toString(brokerId));
      latch.addListener(new LeaderLatchListener() {
        @Override
        public void isLeader() {
          context.runOnContext(v -> onElected());
        }

        @Override
        public void notLeader() {
          context.runOnContext(v -> resign("lost the controller latch"));
        }
      });
      latch.start();
      return null;
    }, false);
  }

  /** Whether this broker is the active controller. */
  public boolean isActive() {
    return epochZkVersion >= 0;
  }

  private void onElected() {
    if (closed) {
      return;
    }
    zk.executeBlocking(this::bumpEpoch, false).onComplete(version -> {
      if (latch == null || !latch.hasLeadership()) {
        return;
      }
      epochZkVersion = version;
      LOG.log(Level.INFO, "Broker " + brokerId + " is the controller at controller epoch " + epoch);
      onSnapshot(metadata.snapshot());
      if (rebalance.enabled() && rebalanceTimer < 0) {
        rebalanceTimer = context.owner().setPeriodic(rebalance.intervalMs(), id -> checkBalance());
      }
    }, t -> LOG.log(Level.ERROR, "Broker " + brokerId + " won the controller latch but could not bump the"
        + " controller epoch", t));
  }

  /** Increments {@code /controller_epoch} conditionally; returns the znode's new version. On the ZooKeeper pool. */
  private int bumpEpoch() throws Exception {
    while (true) {
      Stat stat = new Stat();
      int current;
      try {
        byte[] data = client.getData().storingStatIn(stat).forPath(ZkPaths.CONTROLLER_EPOCH);
        current = new JsonObject(new String(data, StandardCharsets.UTF_8)).getInteger("epoch", 0);
      } catch (KeeperException.NoNodeException e) {
        try {
          client.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLER_EPOCH, epochJson(1));
          epoch = 1;
          return 0;
        } catch (KeeperException.NodeExistsException raced) {
          continue;
        }
      }
      try {
        Stat written = client.setData().withVersion(stat.getVersion()).forPath(ZkPaths.CONTROLLER_EPOCH,
            epochJson(current + 1));
        epoch = current + 1;
        return written.getVersion();
      } catch (KeeperException.BadVersionException raced) {
        // another controller bumped it in between: read again (our latch will tell us if we lost)
      }
    }
  }

  private byte[] epochJson(int e) {
    return new JsonObject().put("epoch", e).put("broker", brokerId).toBuffer().getBytes();
  }

  private void resign(String why) {
    if (epochZkVersion >= 0) {
      LOG.log(Level.INFO, "Broker " + brokerId + " stops being the controller: " + why);
    }
    epochZkVersion = -1;
    stopRebalancing();
  }

  private void stopRebalancing() {
    if (rebalanceTimer >= 0) {
      context.owner().cancelTimer(rebalanceTimer);
      rebalanceTimer = -1;
    }
  }

  /** The periodic preferred-leader election: the partitions {@link #rebalance} picks, each at a new epoch. */
  private void checkBalance() {
    if (!isActive() || closed) {
      return;
    }
    MetadataSnapshot snapshot = metadata.snapshot();
    rebalance(snapshot, rebalance.imbalancePercentage()).forEach((tp, next) -> {
      PartitionState current = snapshot.topics().get(tp.topic()).states().get(tp.partition());
      write(tp, current, withCurrentEpochs(next, current, snapshot));
    });
  }

  /**
   * Kafka's {@code checkAndTriggerAutoLeaderRebalance}: per broker, the partitions it is the preferred replica of
   * (first in the assignment); if more than {@code imbalancePercentage} % of them are led by another broker, each of
   * those whose preferred replica may lead now gets it as leader (epoch bumped). It may when it is alive, in the ISR,
   * not in controlled shutdown and not starting, and the partition has nothing else pending: a live leader, no ISR
   * member to drop or that restarted, no reassignment in progress (their own decisions come first).
   */
  static Map<TopicPartition, PartitionState> rebalance(MetadataSnapshot snapshot, int imbalancePercentage) {
    Map<Integer, Integer> preferredOf = new HashMap<>();
    Map<Integer, Map<TopicPartition, PartitionState>> movable = new HashMap<>();
    Map<Integer, Integer> notLeading = new HashMap<>();
    Set<Integer> leaving = snapshot.brokersInControlledShutdown();
    Set<Integer> starting = snapshot.brokersStarting();
    Set<Integer> live = snapshot.liveBrokerIds();
    for (TopicState topic : snapshot.topics().values()) {
      if (!topic.isComplete()) {
        continue;
      }
      for (Map.Entry<Integer, PartitionState> e : topic.states().entrySet()) {
        List<Integer> replicas = topic.assignment().get(e.getKey());
        PartitionState state = e.getValue();
        int preferred = replicas.get(0);
        preferredOf.merge(preferred, 1, Integer::sum);
        if (state.leader() == preferred) {
          continue;
        }
        notLeading.merge(preferred, 1, Integer::sum);
        boolean settled = live.contains(state.leader()) && live.containsAll(state.isr())
            && restartedInIsr(replicas, state, snapshot).isEmpty() && !topic.reassignments().containsKey(e.getKey());
        if (settled && live.contains(preferred) && !leaving.contains(preferred) && !starting.contains(preferred)
            && state.isr().contains(preferred)) {
          movable.computeIfAbsent(preferred, b -> new HashMap<>()).put(topic.tp(e.getKey()),
              new PartitionState(preferred, state.leaderEpoch() + 1, state.isr(), state.zkVersion(), 0,
                  state.isrEpochs()));
        }
      }
    }
    Map<TopicPartition, PartitionState> moves = new HashMap<>();
    movable.forEach((broker, partitions) -> {
      // Kafka's comparison: the ratio strictly above the percentage
      if (notLeading.get(broker) * 100L > (long) imbalancePercentage * preferredOf.get(broker)) {
        LOG.log(Level.INFO, "Broker " + broker + " leads " + (preferredOf.get(broker) - notLeading.get(broker))
            + " of the " + preferredOf.get(broker) + " partitions it is the preferred replica of (imbalance above "
            + imbalancePercentage + " %): electing it for " + partitions.keySet());
        moves.putAll(partitions);
      }
    });
    return moves;
  }

  private void onSnapshot(MetadataSnapshot snapshot) {
    if (!isActive() || closed) {
      return;
    }
    for (TopicState topic : snapshot.topics().values()) {
      if (!topic.isComplete()) {
        continue;
      }
      for (Map.Entry<Integer, PartitionState> e : topic.states().entrySet()) {
        decidePartition(snapshot, topic, e.getKey(), e.getValue());
      }
    }
  }

  /**
   * One partition's decision. Only its assigned replicas count as alive: a broker a reassignment dropped (a replaced
   * or cancelled one) leaves the ISR, and leadership, as a dead one would.
   */
  private void decidePartition(MetadataSnapshot snapshot, TopicState topic, int p, PartitionState state) {
    boolean unclean = TopicConfigs.uncleanLeaderElection(topic.configs(), uncleanElection);
    List<Integer> replicas = topic.assignment().get(p);
    Set<Integer> live = new HashSet<>(snapshot.liveBrokerIds());
    live.retainAll(replicas);
    Set<Integer> restarted = new HashSet<>(restartedInIsr(replicas, state, snapshot));
    restarted.retainAll(replicas);
    if (!restarted.isEmpty()) {
      LOG.log(Level.INFO, "Controller " + brokerId + ": broker(s) " + restarted + " restarted since recorded in"
          + " sync in " + topic.tp(p) + ": handled as failed (leader epoch " + state.leaderEpoch()
          + ", ISR " + state.isr() + ", epochs " + state.isrEpochs() + ")");
    }
    Candidates candidates = new Candidates(live, snapshot.brokersInControlledShutdown(), snapshot.brokersStarting());
    PartitionState next = restarted.isEmpty()
        ? decide(replicas, state, candidates, unclean)
        : decideAfterRestart(replicas, state, candidates, restarted, unclean);
    if (next == null && restarted.isEmpty()) {
      next = leaderOffLeaving(replicas, state, candidates);
    }
    PartitionReassignment reassignment = topic.reassignments().get(p);
    if (next == null && restarted.isEmpty() && reassignment != null) {
      Step step = reassignmentStep(replicas, reassignment, state, live);
      if (step == Step.MOVE_LEADER) {
        next = leaderIntoTarget(reassignment.target(replicas), state, candidates);
      } else if (step == Step.COMPLETE) {
        complete(topic, p, reassignment, withCurrentEpochs(completedState(reassignment.target(replicas), state),
            state, snapshot));
        return;
      }
    }
    if (next != null) {
      write(topic.tp(p), state, withCurrentEpochs(next, state, snapshot));
    }
  }

  /**
   * Kafka's controlled shutdown: a leader in controlled shutdown hands leadership to the first live in-sync replica
   * (in assignment order) that is not stopping too, at a new epoch, while it still serves; an in-sync replica holds
   * every acknowledged record, as for any election from the ISR. With no such replica it keeps leading until it is
   * gone (moving then would take the partition offline early). The ISR is left as it is: the stopping broker follows
   * on until it deregisters, when it leaves the ISR as any dead broker does. Null when there is nothing to move.
   * {@code brokers}: the partition's live replicas, those stopping (the leader among them) and those starting.
   */
  static PartitionState leaderOffLeaving(List<Integer> replicas, PartitionState state, Candidates brokers) {
    if (!brokers.leaving().contains(state.leader())) {
      return null;
    }
    return replicas.stream().filter(b -> b != state.leader() && brokers.mayLead(b) && state.isr().contains(b))
        .findFirst()
        .map(leader -> new PartitionState(leader, state.leaderEpoch() + 1, state.isr(), state.zkVersion(), 0,
            state.isrEpochs()))
        .orElse(null);
  }

  /** What a reassignment in progress waits for, or does next. */
  enum Step { WAIT, MOVE_LEADER, COMPLETE }

  /**
   * Kafka's rule: a reassignment completes once every target replica is in the ISR (so the ISR it leaves is the whole
   * target: acks=all keeps every promise it made), with a live leader inside the target; a leader the target leaves
   * out hands leadership to a target replica first. {@code live}: live replicas of the partition.
   */
  static Step reassignmentStep(List<Integer> replicas, PartitionReassignment reassignment, PartitionState state,
      Set<Integer> live) {
    List<Integer> target = reassignment.target(replicas);
    if (!state.isr().containsAll(target) || !live.containsAll(target) || !live.contains(state.leader())) {
      return Step.WAIT;
    }
    return target.contains(state.leader()) ? Step.COMPLETE : Step.MOVE_LEADER;
  }

  /**
   * Leadership to the first target replica (all are live and in sync by then) not in controlled shutdown, at a new
   * epoch; null (wait) while every one is stopping.
   */
  static PartitionState leaderIntoTarget(List<Integer> target, PartitionState state, Candidates brokers) {
    return target.stream().filter(b -> brokers.mayLead(b) && state.isr().contains(b)).findFirst()
        .map(leader -> new PartitionState(leader, state.leaderEpoch() + 1, state.isr(), state.zkVersion(), 0,
            state.isrEpochs()))
        .orElse(null);
  }

  /**
   * The brokers an election looks at: the partition's live replicas, those of them in controlled shutdown and those
   * still starting. As in Kafka, no election (a dead leader's successor, an unclean one, the preferred replica's
   * return, a reassignment's move) chooses a broker in controlled shutdown: it is about to go, and its partitions
   * would move again at once (with a second stall for their clients) or go offline with it. Nor one still starting
   * (KRaft elects no fenced broker): its services and listeners are not all up, so clients sent to it would fail
   * until it has started. When such a broker is the only in-sync replica left, the partition stays without a leader
   * (a replica outside the ISR would lose what only it holds) until its registration says it has started: that
   * registration change is a snapshot like any other, and the controller decides the partition again on it. Both
   * still count as alive for the ISR: a stopping broker follows on until it deregisters, a starting one keeps what
   * it holds.
   */
  record Candidates(Set<Integer> live, Set<Integer> leaving, Set<Integer> starting) {
    Candidates {
      live = Set.copyOf(live);
      leaving = Set.copyOf(leaving);
      starting = Set.copyOf(starting);
    }

    /** Candidates of which none is starting. */
    Candidates(Set<Integer> live, Set<Integer> leaving) {
      this(live, leaving, Set.of());
    }

    /** Candidates of which none is stopping or starting. */
    static Candidates of(Set<Integer> live) {
      return new Candidates(live, Set.of());
    }

    boolean mayLead(int broker) {
      return live.contains(broker) && !leaving.contains(broker) && !starting.contains(broker);
    }

    Candidates without(Set<Integer> brokers) {
      Set<Integer> rest = new HashSet<>(live);
      rest.removeAll(brokers);
      return new Candidates(rest, leaving, starting);
    }
  }

  /** The state once the removed replicas are gone: same leader and epoch, the ISR without them. */
  static PartitionState completedState(List<Integer> target, PartitionState state) {
    return new PartitionState(state.leader(), state.leaderEpoch(), state.isr().stream().filter(target::contains)
        .toList(), state.zkVersion(), 0, state.isrEpochs());
  }

  /**
   * ISR members of a replicated partition that restarted since they were recorded in sync (a crash and a restart
   * quicker than the session timeout, or an in-process restart after a lost session), so they may have lost an
   * unflushed or torn tail, and a restarted leader must not go on at its old epoch (followers could not see where
   * their logs part: KIP-101's epochs work only if every leadership gets a new one). A member with a recorded broker
   * epoch restarted if its registration now has another zxid (KIP-903); one without (a state written before epochs
   * were recorded) if it registered after the state was last written, which a later ISR write for another member
   * masks. The controller handles them as failed for one decision: a new leader and epoch, or the ISR without them;
   * that write records the survivors' current epochs ({@link #withCurrentEpochs}).
   */
  static Set<Integer> restartedInIsr(List<Integer> replicas, PartitionState state, MetadataSnapshot snapshot) {
    if (replicas.size() <= 1) {
      return Set.of();
    }
    Set<Integer> restarted = new HashSet<>();
    for (int b : state.isr()) {
      long registered = snapshot.registrationZxid(b);
      Long recorded = state.isrEpoch(b);
      boolean restartedSince = recorded != null ? registered > 0 && registered != recorded
          : state.modifiedZxid() > 0 && registered > state.modifiedZxid();
      if (restartedSince) {
        restarted.add(b);
      }
    }
    return restarted;
  }

  /**
   * {@code next} with each ISR member's broker epoch as {@code snapshot} shows it, or as {@code current} recorded it
   * for a member that is not registered (a dead one kept in an offline partition's ISR). Sound because every
   * registered member was just checked against {@code current} ({@link #restartedInIsr}) in this same snapshot, and
   * a restarted one stays in the ISR only when it is all there is ({@link #decideAfterRestart}); a member without a
   * recorded epoch gets one, so a later restart of it is no longer masked.
   */
  static PartitionState withCurrentEpochs(PartitionState next, PartitionState current, MetadataSnapshot snapshot) {
    Map<Integer, Long> epochs = new HashMap<>();
    for (int b : next.isr()) {
      long registered = snapshot.registrationZxid(b);
      Long recorded = current.isrEpoch(b);
      if (registered > 0) {
        epochs.put(b, registered);
      } else if (recorded != null) {
        epochs.put(b, recorded);
      }
    }
    return next.withIsrEpochs(epochs);
  }

  /**
   * The next state when ISR members {@code restarted} restarted: decided as if they were dead while another ISR
   * member is alive. Otherwise they still hold the best copies there are (electing a replica outside the ISR instead
   * would lose what only they hold): the first of them in assignment order that may lead ({@link Candidates}: not
   * stopping, started) leads at a new epoch (none: no leader until one returns or finishes starting; the write records
   * their new broker epochs, so the next snapshot decides them as any in-sync replica).
   */
  static PartitionState decideAfterRestart(List<Integer> replicas, PartitionState state, Candidates brokers,
      Set<Integer> restarted, boolean unclean) {
    Candidates notRestarted = brokers.without(restarted);
    if (state.isr().stream().anyMatch(notRestarted.live()::contains)) {
      return decide(replicas, state, notRestarted, unclean);
    }
    List<Integer> liveIsr = replicas.stream().filter(b -> state.isr().contains(b) && brokers.live().contains(b))
        .toList();
    int leader = liveIsr.stream().filter(brokers::mayLead).findFirst().orElse(PartitionState.NO_LEADER);
    return new PartitionState(leader, state.leaderEpoch() + 1, liveIsr, state.zkVersion());
  }

  /**
   * The partition's next state, or null to leave it. A leader in controlled shutdown is alive here (its move is
   * {@link #leaderOffLeaving}'s); a successor or unclean leader is never one ({@link Candidates}). A live leader
   * stays: the preferred replica's return is the periodic {@link #rebalance}'s.
   */
  static PartitionState decide(List<Integer> replicas, PartitionState state, Candidates brokers, boolean unclean) {
    Set<Integer> live = brokers.live();
    List<Integer> liveIsr = state.isr().stream().filter(live::contains).toList();
    if (!live.contains(state.leader())) {
      List<Integer> candidates = replicas.stream().filter(b -> liveIsr.contains(b) && brokers.mayLead(b)).toList();
      if (!candidates.isEmpty()) {
        return new PartitionState(candidates.get(0), state.leaderEpoch() + 1, liveIsr, state.zkVersion());
      }
      List<Integer> liveReplicas = replicas.stream().filter(brokers::mayLead).toList();
      if (unclean && liveIsr.isEmpty() && !liveReplicas.isEmpty()) {
        return new PartitionState(liveReplicas.get(0), state.leaderEpoch() + 1, List.of(liveReplicas.get(0)),
            state.zkVersion());
      }
      return state.leader() == PartitionState.NO_LEADER ? null
          : new PartitionState(PartitionState.NO_LEADER, state.leaderEpoch() + 1, state.isr(), state.zkVersion());
    }
    if (liveIsr.size() < state.isr().size()) {
      return new PartitionState(state.leader(), state.leaderEpoch(), liveIsr, state.zkVersion());
    }
    return null;
  }

  private void write(TopicPartition tp, PartitionState current, PartitionState next) {
    String path = ZkPaths.partitionState(tp.topic(), tp.partition());
    fencedWrite(tp, fence -> {
      try {
        client.transaction().forOperations(
            client.transactionOp().check().withVersion(fence).forPath(ZkPaths.CONTROLLER_EPOCH),
            client.transactionOp().setData().withVersion(next.zkVersion()).forPath(path, next.toJson()));
        return true;
      } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
        return false;
      }
    }, () -> "partition " + tp + " leader " + current.leader() + " -> " + next.leader() + ", epoch "
        + next.leaderEpoch() + ", ISR " + current.isr() + " -> " + next.isr());
  }

  /**
   * Completes a reassignment in one transaction: the topic's znode with the partition's final replicas (conditional on
   * the version read, and only if it still holds this very reassignment: an operator may have replaced or cancelled
   * it meanwhile) and the partition's state with the removed replicas out of the ISR (conditional on the version
   * decided on). The removed replicas' brokers then see themselves unassigned and delete their logs.
   */
  private void complete(TopicState seen, int p, PartitionReassignment reassignment, PartitionState next) {
    TopicPartition tp = seen.tp(p);
    List<Integer> replicas = seen.assignment().get(p);
    List<Integer> target = reassignment.target(replicas);
    fencedWrite(tp, fence -> {
      Stat stat = new Stat();
      TopicState stored;
      try {
        stored = TopicState.fromJson(tp.topic(), client.getData().storingStatIn(stat).forPath(ZkPaths.topic(tp.topic())));
      } catch (KeeperException.NoNodeException e) {
        return false;
      }
      if (!stored.topicId().equals(seen.topicId()) || !replicas.equals(stored.assignment().get(p))
          || !reassignment.equals(stored.reassignments().get(p))) {
        return false;
      }
      TopicState done = stored.withPartition(p, new PartitionReassignment.Planned(target, null));
      try {
        client.transaction().forOperations(
            client.transactionOp().check().withVersion(fence).forPath(ZkPaths.CONTROLLER_EPOCH),
            client.transactionOp().setData().withVersion(stat.getVersion()).forPath(ZkPaths.topic(tp.topic()),
                done.toJson()),
            client.transactionOp().setData().withVersion(next.zkVersion())
                .forPath(ZkPaths.partitionState(tp.topic(), p), next.toJson()));
        return true;
      } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
        return false;
      }
    }, () -> "reassignment of " + tp + " completed: replicas " + replicas + " -> " + target + ", ISR " + next.isr());
  }

  /** A write that must fail if the value read moved on; {@code fence} is the controller epoch's version. */
  private interface FencedOps {
    boolean apply(int fence) throws Exception;
  }

  /**
   * Runs {@code ops} on the ZooKeeper pool, at most one write per partition in flight. False (a version race) is
   * retried with the snapshot the race produces (now, or at once when done if it came while in flight: {@link
   * #writeDone}); a moved controller epoch resigns.
   */
  private void fencedWrite(TopicPartition tp, FencedOps ops, java.util.function.Supplier<String> done) {
    if (!writesInFlight.add(tp)) {
      decideAfterWrite.add(tp);
      return;
    }
    int fence = epochZkVersion;
    zk.executeBlocking(() -> {
      if (ops.apply(fence)) {
        return true;
      }
      Stat stat = client.checkExists().forPath(ZkPaths.CONTROLLER_EPOCH);
      if (stat == null || stat.getVersion() != fence) {
        throw new IllegalStateException("controller epoch moved on (version " + (stat == null ? "none"
            : stat.getVersion()) + ", ours " + fence + ")");
      }
      return false;
    }, false).onComplete(ok -> {
      if (ok) {
        LOG.log(Level.INFO, "Controller " + brokerId + ": " + done.get());
      }
      writeDone(tp);
    }, t -> {
      writesInFlight.remove(tp);
      decideAfterWrite.remove(tp);
      if (fence == epochZkVersion) {
        resign("fenced: " + t.getMessage());
      }
    });
  }

  /** Decides {@code tp} again on the latest snapshot if one came while its write was in flight. On the context. */
  private void writeDone(TopicPartition tp) {
    writesInFlight.remove(tp);
    if (!decideAfterWrite.remove(tp) || !isActive() || closed) {
      return;
    }
    MetadataSnapshot snapshot = metadata.snapshot();
    TopicState topic = snapshot.topics().get(tp.topic());
    PartitionState state = topic == null || !topic.isComplete() ? null : topic.states().get(tp.partition());
    if (state != null) {
      decidePartition(snapshot, topic, tp.partition(), state);
    }
  }

  /** Leaves the election (another broker takes over at once). */
  public Future<Void> close() {
    closed = true;
    epochZkVersion = -1;
    context.runOnContext(v -> stopRebalancing());
    LeaderLatch l = latch;
    return l == null ? Future.succeededFuture() : zk.executeBlocking(() -> {
      l.close();
      return null;
    }, false);
  }
}
