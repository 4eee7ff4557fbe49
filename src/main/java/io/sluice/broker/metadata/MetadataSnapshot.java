package io.sluice.broker.metadata;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One consistent in-memory view of the cluster metadata, rebuilt from the ZooKeeper cache after each batch of
 * changes and published whole (readers on any thread see either the old or the new snapshot). Immutable.
 *
 * @param topics topic name to state, sorted by name
 * @param liveBrokers broker id to registration, for every broker with a live session
 * @param registrationZxids broker id to the zxid that created its registration znode: a broker process that
 *     registered after a partition state was last written has restarted since (absent: 0, unknown)
 * @param controllerEpochBroker the broker {@code /controller_epoch} names: the last one elected controller (-1: none
 *     yet); it is the controller only while it is alive ({@link #liveController()})
 */
public record MetadataSnapshot(Map<String, TopicState> topics, Map<Integer, BrokerRegistration> liveBrokers,
    Map<Integer, Long> registrationZxids, int controllerEpochBroker) {
  public static final MetadataSnapshot EMPTY = new MetadataSnapshot(Map.of(), Map.of());
  public static final int NO_CONTROLLER = -1;

  public MetadataSnapshot {
    topics = Collections.unmodifiableMap(new TreeMap<>(topics));
    liveBrokers = Collections.unmodifiableMap(new TreeMap<>(liveBrokers));
    registrationZxids = Collections.unmodifiableMap(new TreeMap<>(registrationZxids));
  }

  public MetadataSnapshot(Map<String, TopicState> topics, Map<Integer, BrokerRegistration> liveBrokers) {
    this(topics, liveBrokers, Map.of());
  }

  public MetadataSnapshot(Map<String, TopicState> topics, Map<Integer, BrokerRegistration> liveBrokers,
      Map<Integer, Long> registrationZxids) {
    this(topics, liveBrokers, registrationZxids, NO_CONTROLLER);
  }

  /** The controller if it is alive, else {@link #NO_CONTROLLER} (none elected yet, or it died and none followed). */
  public int liveController() {
    return liveBrokers.containsKey(controllerEpochBroker) ? controllerEpochBroker : NO_CONTROLLER;
  }

  /** The zxid that created broker {@code id}'s registration, 0 if unknown. */
  public long registrationZxid(int id) {
    return registrationZxids.getOrDefault(id, 0L);
  }

  public Optional<TopicState> topic(String name) {
    return Optional.ofNullable(topics.get(name));
  }

  public Set<Integer> liveBrokerIds() {
    return liveBrokers.keySet();
  }

  /** Live brokers in controlled shutdown: their partitions' leadership goes to other in-sync replicas. */
  public Set<Integer> brokersInControlledShutdown() {
    return liveBrokersWhere(BrokerRegistration::inControlledShutdown);
  }

  /** Live brokers that registered but have not finished starting: no preferred-replica rebalance picks them. */
  public Set<Integer> brokersStarting() {
    return liveBrokersWhere(BrokerRegistration::starting);
  }

  private Set<Integer> liveBrokersWhere(java.util.function.Predicate<BrokerRegistration> condition) {
    Set<Integer> ids = new java.util.TreeSet<>();
    liveBrokers.forEach((id, reg) -> {
      if (condition.test(reg)) {
        ids.add(id);
      }
    });
    return ids;
  }
}
