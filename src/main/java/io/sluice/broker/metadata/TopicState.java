package io.sluice.broker.metadata;

import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A topic as ZooKeeper holds it: the {@code /topics/<name>} JSON (replication factor, config overrides, replica
 * assignment) and the state of each partition that has been read so far. Immutable.
 *
 * @param name the topic
 * @param topicId a random id given at creation: a topic deleted and created again under the same name is a different
 *     topic, and brokers that missed the deletion still notice (Kafka's topic ids, KIP-516)
 * @param replicationFactor replicas per partition
 * @param configs topic-level config overrides (validated at creation)
 * @param assignment partition index to replica broker ids, the preferred leader first
 * @param states partition index to its state; a partition is missing while its znode has not been read yet
 * @param reassignments partition index to its replica reassignment in progress (KIP-455), for those that have one
 */
public record TopicState(String name, String topicId, int replicationFactor, Map<String, String> configs,
    Map<Integer, List<Integer>> assignment, Map<Integer, PartitionState> states,
    Map<Integer, PartitionReassignment> reassignments) {

  public TopicState {
    configs = Collections.unmodifiableMap(new TreeMap<>(configs));
    assignment = Collections.unmodifiableMap(new TreeMap<>(assignment));
    states = Collections.unmodifiableMap(new TreeMap<>(states));
    reassignments = Collections.unmodifiableMap(new TreeMap<>(reassignments));
  }

  /** A topic without reassignments in progress. */
  public TopicState(String name, String topicId, int replicationFactor, Map<String, String> configs,
      Map<Integer, List<Integer>> assignment, Map<Integer, PartitionState> states) {
    this(name, topicId, replicationFactor, configs, assignment, states, Map.of());
  }

  /**
   * This topic with partition {@code p}'s replicas and reassignment as {@code planned} (same id, configs and states);
   * the replication factor follows the replicas once every partition has the same number of them.
   */
  public TopicState withPartition(int p, PartitionReassignment.Planned planned) {
    Map<Integer, List<Integer>> a = new TreeMap<>(assignment);
    a.put(p, planned.replicas());
    Map<Integer, PartitionReassignment> r = new TreeMap<>(reassignments);
    if (planned.reassignment() == null) {
      r.remove(p);
    } else {
      r.put(p, planned.reassignment());
    }
    Set<Integer> sizes = new java.util.HashSet<>();
    a.values().forEach(replicas -> sizes.add(replicas.size()));
    int rf = r.isEmpty() && sizes.size() == 1 ? sizes.iterator().next() : replicationFactor;
    return new TopicState(name, topicId, rf, configs, a, states, r);
  }

  public int partitionCount() {
    return assignment.size();
  }

  /** Whether every partition's state is known: a topic is usable only then. */
  public boolean isComplete() {
    return states.keySet().containsAll(assignment.keySet());
  }

  public TopicState withState(int partition, PartitionState state) {
    Map<Integer, PartitionState> s = new TreeMap<>(states);
    s.put(partition, state);
    return new TopicState(name, topicId, replicationFactor, configs, assignment, s, reassignments);
  }

  /** This topic with other config overrides (same id, assignment and states). */
  public TopicState withConfigs(Map<String, String> next) {
    return new TopicState(name, topicId, replicationFactor, next, assignment, states, reassignments);
  }

  public TopicPartition tp(int partition) {
    return new TopicPartition(name, partition);
  }

  /** The view front ends get; a replica is in sync if it is in the ISR, and leads if it is the leader. */
  public TopicMetadata toMetadata(Set<Integer> liveBrokers) {
    List<TopicMetadata.PartitionMetadata> parts = new ArrayList<>();
    assignment.forEach((p, replicas) -> {
      PartitionState st = states.get(p);
      int leader = st == null || !liveBrokers.contains(st.leader()) ? PartitionState.NO_LEADER : st.leader();
      List<TopicMetadata.ReplicaInfo> infos = replicas.stream()
          .map(b -> new TopicMetadata.ReplicaInfo(b, b == leader, st != null && st.isr().contains(b))).toList();
      parts.add(new TopicMetadata.PartitionMetadata(p, leader, st == null ? -1 : st.leaderEpoch(), infos));
    });
    return new TopicMetadata(name, configs, parts);
  }

  /** The {@code /topics/<name>} znode's JSON (the partition states live in their own znodes). */
  public byte[] toJson() {
    JsonObject parts = new JsonObject();
    assignment.forEach((p, replicas) -> parts.put(Integer.toString(p), new JsonArray(List.copyOf(replicas))));
    JsonObject json = new JsonObject().put("version", 1).put("topic_id", topicId)
        .put("replication_factor", replicationFactor).put("configs", new JsonObject(Map.copyOf(configs)))
        .put("partitions", parts);
    if (!reassignments.isEmpty()) { // Kafka's names; absent when none, so a topic's znode reads as before
      JsonObject adding = new JsonObject();
      JsonObject removing = new JsonObject();
      reassignments.forEach((p, r) -> {
        adding.put(Integer.toString(p), new JsonArray(r.adding()));
        removing.put(Integer.toString(p), new JsonArray(r.removing()));
      });
      json.put("adding_replicas", adding).put("removing_replicas", removing);
    }
    return json.toBuffer().getBytes();
  }

  public static TopicState fromJson(String name, byte[] data) {
    JsonObject json = new JsonObject(new String(data, StandardCharsets.UTF_8));
    Map<Integer, List<Integer>> assignment = brokerLists(json.getJsonObject("partitions", new JsonObject()));
    Map<Integer, List<Integer>> adding = brokerLists(json.getJsonObject("adding_replicas", new JsonObject()));
    Map<Integer, List<Integer>> removing = brokerLists(json.getJsonObject("removing_replicas", new JsonObject()));
    Map<Integer, PartitionReassignment> reassignments = new TreeMap<>();
    adding.keySet().forEach(p -> reassignments.put(p, new PartitionReassignment(adding.get(p),
        removing.getOrDefault(p, List.of()))));
    Map<String, String> configs = new TreeMap<>();
    json.getJsonObject("configs", new JsonObject()).forEach(e -> configs.put(e.getKey(), String.valueOf(e.getValue())));
    return new TopicState(name, json.getString("topic_id", ""), json.getInteger("replication_factor", 1), configs,
        assignment, Map.of(), reassignments);
  }

  private static Map<Integer, List<Integer>> brokerLists(JsonObject byPartition) {
    Map<Integer, List<Integer>> out = new TreeMap<>();
    for (Map.Entry<String, Object> e : byPartition) {
      out.put(Integer.parseInt(e.getKey()), ((JsonArray) e.getValue()).stream().map(o -> ((Number) o).intValue())
          .toList());
    }
    return out;
  }
}
