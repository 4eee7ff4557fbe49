package io.sluice.group;

import io.sluice.api.TopicPartition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/** Helpers shared by the assignors. */
final class Assignments {
  static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private Assignments() {
  }

  /** Every member with an empty, mutable list. */
  static Map<String, List<TopicPartition>> empty(SortedMap<String, Set<String>> subscriptions) {
    Map<String, List<TopicPartition>> result = new TreeMap<>();
    subscriptions.keySet().forEach(m -> result.put(m, new ArrayList<>()));
    return result;
  }

  /** The partitions of every topic some member subscribes to, sorted. */
  static List<TopicPartition> subscribedPartitions(SortedMap<String, Set<String>> subscriptions,
      Map<String, Integer> partitionCounts) {
    Set<String> topics = new TreeSet<>();
    subscriptions.values().forEach(topics::addAll);
    List<TopicPartition> all = new ArrayList<>();
    for (String topic : topics) {
      int n = partitionCounts.getOrDefault(topic, 0);
      for (int p = 0; p < n; p++) {
        all.add(new TopicPartition(topic, p));
      }
    }
    return all;
  }

  static Map<String, List<TopicPartition>> sorted(Map<String, List<TopicPartition>> assignment) {
    assignment.values().forEach(l -> l.sort(ORDER));
    return assignment;
  }
}
