package io.sluice.group;

import io.sluice.api.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * Kafka's round-robin assignor: all subscribed partitions sorted by topic and partition are dealt to the members
 * in id order, skipping a member not subscribed to the partition's topic.
 */
public final class RoundRobinAssignor implements Assignor {
  @Override
  public String name() {
    return "roundrobin";
  }

  @Override
  public Map<String, List<TopicPartition>> assign(SortedMap<String, Set<String>> subscriptions,
      Map<String, Integer> partitionCounts, Map<String, List<TopicPartition>> current) {
    Map<String, List<TopicPartition>> result = Assignments.empty(subscriptions);
    List<String> members = new ArrayList<>(subscriptions.keySet());
    int cursor = 0;
    for (TopicPartition tp : Assignments.subscribedPartitions(subscriptions, partitionCounts)) {
      // Some member subscribes to tp's topic, so this loop ends within one turn of the circle.
      while (!subscriptions.get(members.get(cursor % members.size())).contains(tp.topic())) {
        cursor++;
      }
      result.get(members.get(cursor % members.size())).add(tp);
      cursor++;
    }
    return Assignments.sorted(result);
  }
}
