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
 */
public record MetadataSnapshot(Map<String, TopicState> topics, Map<Integer, BrokerRegistration> liveBrokers) {
  public static final MetadataSnapshot EMPTY = new MetadataSnapshot(Map.of(), Map.of());

  public MetadataSnapshot {
    topics = Collections.unmodifiableMap(new TreeMap<>(topics));
    liveBrokers = Collections.unmodifiableMap(new TreeMap<>(liveBrokers));
  }

  public Optional<TopicState> topic(String name) {
    return Optional.ofNullable(topics.get(name));
  }

  public Set<Integer> liveBrokerIds() {
    return liveBrokers.keySet();
  }
}
