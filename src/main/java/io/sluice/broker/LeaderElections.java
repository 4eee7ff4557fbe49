package io.sluice.broker;

import io.sluice.api.ElectionResult;
import io.sluice.api.ElectionType;
import io.sluice.api.TopicPartition;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Leader elections on demand (Kafka's ElectLeaders, {@code kafka-leader-election.sh}). The new state is written by
 * the broker that took the request, conditional on the partition state's version as every writer's is (the
 * controller's, a leader's ISR change), so it cannot overwrite a decision it did not see: a lost race is decided again
 * on the newer state. Thread-safe.
 */
final class LeaderElections {
  private static final System.Logger LOG = System.getLogger(LeaderElections.class.getName());
  private static final int ATTEMPTS = 3;

  private final ZkMetadataStore metadata;
  private final long waitMs;

  LeaderElections(ZkMetadataStore metadata, long waitMs) {
    this.metadata = metadata;
    this.waitMs = waitMs;
  }

  /** One result per partition of {@code tps} (empty: every partition of every complete topic), in order. */
  Future<List<ElectionResult>> elect(ElectionType type, List<TopicPartition> tps) {
    List<TopicPartition> all = tps.isEmpty() ? everyPartition(metadata.snapshot()) : tps;
    List<Future<ElectionResult>> results = new ArrayList<>();
    for (TopicPartition tp : all) {
      results.add(attempt(type, tp, ATTEMPTS).recover(t -> Future.succeededFuture(failed(tp, t))));
    }
    return Future.join(results).map(cf -> results.stream().map(Future::result).toList());
  }

  private Future<ElectionResult> attempt(ElectionType type, TopicPartition tp, int attempts) {
    try {
      return electOne(type, tp, attempts);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<ElectionResult> electOne(ElectionType type, TopicPartition tp, int attempts) {
    MetadataSnapshot s = metadata.snapshot();
    TopicState topic = s.topic(tp.topic()).orElse(null);
    PartitionState state = topic == null ? null : topic.states().get(tp.partition());
    if (state == null) {
      throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Partition " + tp + " does not exist");
    }
    PartitionState next = decide(type, tp, topic.assignment().get(tp.partition()), state, s);
    return metadata.updatePartitionState(tp.topic(), tp.partition(), next).compose(written -> {
      if (!written) { // another writer was first: decide again on what it wrote
        return attempts <= 1 ? Future.failedFuture(new SluiceException(ErrorCode.REQUEST_TIMED_OUT, "Partition "
            + tp + "'s state changed " + ATTEMPTS + " times during the election; retry"))
            : metadata.awaitSnapshot(snap -> version(snap, tp) != state.zkVersion(), waitMs, "the state of " + tp)
                .compose(snap -> attempt(type, tp, attempts - 1));
      }
      LOG.log(Level.INFO, type + " election of " + tp + ": leader " + state.leader() + " -> " + next.leader()
          + " at epoch " + next.leaderEpoch() + (type == ElectionType.UNCLEAN ? " (records only the former in-sync"
          + " replicas " + state.isr() + " held are lost)" : ""));
      return metadata.awaitSnapshot(snap -> version(snap, tp) != state.zkVersion(), waitMs, "the election of " + tp)
          .map(snap -> new ElectionResult(tp, next.leader(), 0, null));
    });
  }

  /**
   * The state after the election, or the refusal: PREFERRED moves leadership to the first replica when it is alive
   * and in sync (epoch + 1, ISR kept); UNCLEAN gives a partition without a live leader to its first live replica, in
   * sync or not, alone in the ISR (epoch + 1). Neither chooses a broker in controlled shutdown (as the controller's
   * elections do not): it is about to go. Nor one still starting, as the controller's elections do not (KRaft
   * elects no fenced broker): its services are not all up yet; the controller elects it once it has started.
   */
  static PartitionState decide(ElectionType type, TopicPartition tp, List<Integer> replicas, PartitionState state,
      MetadataSnapshot s) {
    boolean leaderAlive = s.liveBrokerIds().contains(state.leader());
    Set<Integer> leaving = s.brokersInControlledShutdown();
    if (type == ElectionType.PREFERRED) {
      int preferred = replicas.get(0);
      if (preferred == state.leader() && leaderAlive) {
        throw new SluiceException(ErrorCode.ELECTION_NOT_NEEDED, "Broker " + preferred + ", the preferred leader of "
            + tp + ", leads it already");
      }
      String unavailable = !s.liveBrokerIds().contains(preferred) ? "not alive"
          : leaving.contains(preferred) ? "in controlled shutdown"
          : s.brokersStarting().contains(preferred) ? "not yet started"
          : !state.isr().contains(preferred) ? "not in its ISR " + state.isr() : null;
      if (unavailable != null) {
        throw new SluiceException(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "Broker " + preferred + ", the preferred"
            + " leader of " + tp + ", is " + unavailable);
      }
      return new PartitionState(preferred, state.leaderEpoch() + 1, state.isr(), state.zkVersion(), 0,
          state.isrEpochs());
    }
    if (leaderAlive) {
      throw new SluiceException(ErrorCode.ELECTION_NOT_NEEDED, "Partition " + tp + " has a leader (broker "
          + state.leader() + "): an unclean election is only for a partition without one");
    }
    List<Integer> liveInSync = replicas.stream().filter(b -> state.isr().contains(b) && s.liveBrokerIds().contains(b))
        .toList();
    Set<Integer> starting = s.brokersStarting();
    List<Integer> eligible = (liveInSync.isEmpty() ? replicas : liveInSync).stream()
        .filter(b -> s.liveBrokerIds().contains(b) && !leaving.contains(b) && !starting.contains(b)).toList();
    if (eligible.isEmpty()) {
      // an in-sync replica stopping or starting is not passed over for one that would lose what it holds
      throw new SluiceException(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, "No replica of " + tp + " " + replicas
          + " can lead: " + (liveInSync.isEmpty() ? "none is alive, started and not in controlled shutdown"
          : "its live in-sync replicas " + liveInSync + " are in controlled shutdown or still starting"));
    }
    int chosen = eligible.get(0);
    return new PartitionState(chosen, state.leaderEpoch() + 1, List.of(chosen), state.zkVersion(), 0,
        Map.of(chosen, s.registrationZxid(chosen)));
  }

  private static int version(MetadataSnapshot s, TopicPartition tp) {
    return s.topic(tp.topic()).map(t -> t.states().get(tp.partition())).map(PartitionState::zkVersion).orElse(-2);
  }

  private static List<TopicPartition> everyPartition(MetadataSnapshot s) {
    List<TopicPartition> out = new ArrayList<>();
    s.topics().values().stream().filter(TopicState::isComplete)
        .forEach(t -> t.assignment().keySet().forEach(p -> out.add(t.tp(p))));
    return out;
  }

  private ElectionResult failed(TopicPartition tp, Throwable t) {
    ErrorCode code = t instanceof SluiceException se ? se.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR;
    MetadataSnapshot s = metadata.snapshot();
    int leader = s.topic(tp.topic()).map(topic -> topic.states().get(tp.partition())).map(PartitionState::leader)
        .filter(s.liveBrokerIds()::contains).orElse(PartitionState.NO_LEADER);
    return new ElectionResult(tp, leader, code.code(), String.valueOf(t.getMessage()));
  }
}
