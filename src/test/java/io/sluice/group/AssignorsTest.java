package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.TopicPartition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every assignor against the contract, over random groups (seeded; the seed is in the failure message). */
class AssignorsTest {

  @ParameterizedTest
  @ValueSource(strings = {"range", "roundrobin", "sticky"})
  void everySubscribedPartitionGoesToExactlyOneSubscribedMember(String name) {
    Assignor assignor = Assignor.named(name);
    for (long seed = 0; seed < 300; seed++) {
      Random random = new Random(seed);
      Map<String, Integer> counts = new TreeMap<>();
      int topics = 1 + random.nextInt(3);
      for (int t = 0; t < topics; t++) {
        counts.put("t" + t, 1 + random.nextInt(6));
      }
      SortedMap<String, Set<String>> subs = new TreeMap<>();
      int members = 1 + random.nextInt(8);
      boolean sameSubscription = random.nextBoolean();
      for (int m = 0; m < members; m++) {
        Set<String> s = new HashSet<>();
        for (String t : counts.keySet()) {
          if (sameSubscription || random.nextBoolean()) {
            s.add(t);
          }
        }
        subs.put("m" + m, s.isEmpty() ? Set.of("t0") : s);
      }
      Map<String, List<TopicPartition>> previous = assignor.assign(subs, counts, Map.of());
      subs.remove(subs.firstKey());
      if (subs.isEmpty()) {
        subs.put("late", Set.of("t0"));
      }
      Map<String, List<TopicPartition>> result = assignor.assign(subs, counts, previous);
      String why = name + " seed " + seed + " subs " + subs + " counts " + counts + " -> " + result;
      assertThat(result.keySet()).as(why).isEqualTo(subs.keySet());
      List<TopicPartition> all = new ArrayList<>();
      result.forEach((member, tps) -> {
        tps.forEach(tp -> assertThat(subs.get(member)).as(why).contains(tp.topic()));
        all.addAll(tps);
      });
      Set<TopicPartition> expected = new HashSet<>();
      subs.values().forEach(s -> s.forEach(t -> {
        for (int p = 0; p < counts.get(t); p++) {
          expected.add(new TopicPartition(t, p));
        }
      }));
      assertThat(all).as(why).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
      if (sameSubscription && !name.equals("range")) {
        int min = result.values().stream().mapToInt(List::size).min().orElse(0);
        int max = result.values().stream().mapToInt(List::size).max().orElse(0);
        assertThat(max - min).as("balanced: " + why).isLessThanOrEqualTo(1);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"range", "roundrobin", "sticky"})
  void moreMembersThanPartitionsLeavesTheExtraMembersEmpty(String name) {
    SortedMap<String, Set<String>> subs = new TreeMap<>();
    for (int m = 0; m < 5; m++) {
      subs.put("m" + m, Set.of("t"));
    }
    Map<String, List<TopicPartition>> result = Assignor.named(name).assign(subs, Map.of("t", 3), Map.of());
    assertThat(result.values().stream().filter(List::isEmpty).count()).isEqualTo(2);
    assertThat(result.values().stream().mapToInt(List::size).sum()).isEqualTo(3);
  }

  @org.junit.jupiter.api.Test
  void stickyMovesOnlyWhatBalanceNeedsWhenAFourthMemberJoinsThree() {
    SortedMap<String, Set<String>> three = new TreeMap<>(Map.of("a", Set.of("t"), "b", Set.of("t"), "c", Set.of("t")));
    Map<String, List<TopicPartition>> before = new StickyAssignor().assign(three, Map.of("t", 12), Map.of());
    SortedMap<String, Set<String>> four = new TreeMap<>(three);
    four.put("d", Set.of("t"));
    Map<String, List<TopicPartition>> after = new StickyAssignor().assign(four, Map.of("t", 12), before);
    int kept = 0;
    for (String m : three.keySet()) {
      kept += (int) after.get(m).stream().filter(before.get(m)::contains).count();
    }
    assertThat(kept).as("9 of 12 partitions stay put").isEqualTo(9);
    assertThat(after.get("d")).hasSize(3);
  }
}
