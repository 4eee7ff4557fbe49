package io.sluice.group;

import io.sluice.api.TopicPartition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * A sticky assignor: a partition stays with its previous owner while that owner is still a member, still
 * subscribes to the topic, and holds no more than its fair share; the rest go to the least loaded subscribed
 * member, and partitions then move one at a time from the most to the least loaded member that can take them
 * until no two members sharing a topic differ by more than one. Fewer partitions move than with range or
 * round-robin when one member joins or leaves.
 */
public final class StickyAssignor implements Assignor {
  @Override
  public String name() {
    return "sticky";
  }

  @Override
  public Map<String, List<TopicPartition>> assign(SortedMap<String, Set<String>> subscriptions,
      Map<String, Integer> partitionCounts, Map<String, List<TopicPartition>> current) {
    Map<String, List<TopicPartition>> result = Assignments.empty(subscriptions);
    List<TopicPartition> all = Assignments.subscribedPartitions(subscriptions, partitionCounts);
    Set<TopicPartition> valid = new HashSet<>(all);
    int fairShare = subscriptions.isEmpty() ? 0 : (all.size() + subscriptions.size() - 1) / subscriptions.size();
    Set<TopicPartition> taken = new HashSet<>();
    current.forEach((member, owned) -> {
      List<TopicPartition> kept = result.get(member);
      if (kept == null) {
        return;
      }
      for (TopicPartition tp : owned.stream().sorted(Assignments.ORDER).toList()) {
        if (kept.size() < fairShare && valid.contains(tp) && subscriptions.get(member).contains(tp.topic())
            && taken.add(tp)) {
          kept.add(tp);
        }
      }
    });
    for (TopicPartition tp : all) {
      if (!taken.contains(tp)) {
        leastLoaded(result, subscriptions, tp.topic()).add(tp);
      }
    }
    balance(result, subscriptions);
    return Assignments.sorted(result);
  }

  private static List<TopicPartition> leastLoaded(Map<String, List<TopicPartition>> result,
      SortedMap<String, Set<String>> subscriptions, String topic) {
    return result.entrySet().stream()
        .filter(e -> subscriptions.get(e.getKey()).contains(topic))
        .min(Comparator.comparingInt((Map.Entry<String, List<TopicPartition>> e) -> e.getValue().size())
            .thenComparing(Map.Entry::getKey))
        .orElseThrow().getValue();
  }

  /** Moves single partitions from a member to one holding at least two fewer, while such a move exists. */
  private static void balance(Map<String, List<TopicPartition>> result, SortedMap<String, Set<String>> subs) {
    boolean moved = true;
    while (moved) {
      moved = false;
      List<String> byLoad = new ArrayList<>(result.keySet());
      byLoad.sort(Comparator.comparingInt((String m) -> result.get(m).size()).reversed().thenComparing(m -> m));
      outer:
      for (String from : byLoad) {
        for (int i = byLoad.size() - 1; i >= 0; i--) {
          String to = byLoad.get(i);
          if (result.get(from).size() - result.get(to).size() < 2) {
            continue;
          }
          for (TopicPartition tp : result.get(from)) {
            if (subs.get(to).contains(tp.topic())) {
              result.get(from).remove(tp);
              result.get(to).add(tp);
              moved = true;
              break outer;
            }
          }
        }
      }
    }
  }
}
