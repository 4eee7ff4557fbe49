package io.sluice.streams;

import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.errors.SluiceException;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which stream tasks a broker runs and which standbys it keeps, decided from <em>one</em> look at each input's
 * leadership. The two decisions must see the same leadership: across a failover, a broker that was a partition's
 * first in-sync follower in one look leads it in the next, and a decision taken from two looks could see it as
 * neither the task's runner nor the standby's keeper, which stopped the standby and deleted the store its task was
 * about to take over (the task then restored the whole changelog: StandbyClusterIT under load).
 *
 * @param tasks the tasks this broker should run: those of the partitions it leads
 * @param standbys the standbys it should keep: of stateful tasks' partitions it follows first in sync
 */
record TaskPlacement(Map<String, TaskPlacement.Wanted> tasks, Map<String, TaskPlacement.Wanted> standbys) {
  private static final System.Logger LOG = System.getLogger(TaskPlacement.class.getName());

  /** A task (or a standby of one) this broker should have. */
  record Wanted(String stream, TopicPartition tp, StreamStore.Stored stored, StreamDefinition definition) {
    String key() {
      return stream + "/" + StreamTask.id(tp);
    }
  }

  /**
   * The placement for {@code brokerId} of the stored streams, describing each topic once ({@code describe} answers
   * null for a topic that does not exist yet: its tasks start once it does).
   */
  static TaskPlacement decide(int brokerId, List<StreamStore.Stored> streams, TaskScheduler.DefinitionCompiler compiler,
      Function<String, TopicMetadata> describe) {
    Map<String, Optional<TopicMetadata>> looked = new HashMap<>();
    Function<String, TopicMetadata> once = t -> looked.computeIfAbsent(t, x -> Optional.ofNullable(describe.apply(x)))
        .orElse(null);
    Map<String, Wanted> tasks = new HashMap<>();
    Map<String, Wanted> standbys = new HashMap<>();
    for (StreamStore.Stored stored : streams) {
      StreamDefinition def = compiled(stored, compiler);
      if (def == null) {
        continue;
      }
      for (String topic : def.taskInputs()) {
        for (TopicMetadata.PartitionMetadata p : partitions(once.apply(topic))) {
          if (p.leader() == brokerId) {
            put(tasks, new Wanted(stored.name(), new TopicPartition(topic, p.partition()), stored, def));
          }
        }
      }
      if (def.standbyReplicas() > 0) {
        for (TopicMetadata.PartitionMetadata p : partitions(once.apply(def.stateTopic()))) {
          if (firstInSyncFollower(p) == brokerId || candidateWhileLeaderless(p, brokerId)) {
            put(standbys, new Wanted(stored.name(), new TopicPartition(def.stateTopic(), p.partition()), stored, def));
          }
        }
      }
    }
    return new TaskPlacement(tasks, standbys);
  }

  private static StreamDefinition compiled(StreamStore.Stored stored, TaskScheduler.DefinitionCompiler compiler) {
    if (stored.paused()) {
      return null;
    }
    try {
      return compiler.compile(stored);
    } catch (SluiceException e) {
      LOG.log(Level.ERROR, "Stored stream " + stored.name() + " does not compile here: " + e.getMessage());
      return null;
    }
  }

  private static List<TopicMetadata.PartitionMetadata> partitions(TopicMetadata md) {
    return md == null ? List.of() : md.partitions();
  }

  /**
   * Between a leader's death and its successor's election the metadata shows no leader and the dead broker as an
   * in-sync follower, which the rule above then picked: the standby's broker stopped its standby (deleting the store)
   * just before it was elected and its task would have taken the store over. Every in-sync replica is a candidate then,
   * so each keeps its standby until a leader is known.
   */
  private static boolean candidateWhileLeaderless(TopicMetadata.PartitionMetadata p, int brokerId) {
    return p.leader() < 0
        && p.replicas().stream().anyMatch(r -> r.broker() == brokerId && r.inSync());
  }

  private static int firstInSyncFollower(TopicMetadata.PartitionMetadata p) {
    return p.replicas().stream().filter(r -> !r.leader() && r.inSync() && r.broker() != p.leader())
        .mapToInt(TopicMetadata.ReplicaInfo::broker).findFirst().orElse(-1);
  }

  private static void put(Map<String, Wanted> into, Wanted w) {
    into.put(w.key(), w);
  }
}
