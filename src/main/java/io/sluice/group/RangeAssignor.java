package io.sluice.group;

import io.sluice.api.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;

/**
 * Kafka's range assignor: per topic, the members subscribed to it (by id) each get a contiguous range of its
 * partitions; the first {@code partitions % members} members get one more.
 */
public final class RangeAssignor implements Assignor {
  @Override
  public String name() {
    return "range";
  }

  @Override
  public Map<String, List<TopicPartition>> assign(SortedMap<String, Set<String>> subscriptions,
      Map<String, Integer> partitionCounts, Map<String, List<TopicPartition>> current) {
    Map<String, List<TopicPartition>> result = Assignments.empty(subscriptions);
    Set<String> topics = new TreeSet<>();
    subscriptions.values().forEach(topics::addAll);
    for (String topic : topics) {
      int partitions = partitionCounts.getOrDefault(topic, 0);
      List<String> members = subscriptions.entrySet().stream()
          .filter(e -> e.getValue().contains(topic)).map(Map.Entry::getKey).toList();
      int per = partitions / members.size();
      int extra = partitions % members.size();
      int next = 0;
      for (int i = 0; i < members.size(); i++) {
        int count = per + (i < extra ? 1 : 0);
        for (int k = 0; k < count; k++) {
          result.get(members.get(i)).add(new TopicPartition(topic, next++));
        }
      }
    }
    return Assignments.sorted(result);
  }
}
