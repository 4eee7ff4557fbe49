package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicMetadata.PartitionMetadata;
import io.sluice.api.TopicMetadata.ReplicaInfo;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Where a broker's stream tasks and standbys go. The failover case: a look at the metadata taken before the old
 * leader's death and one taken after it saw the standby's broker as neither a follower nor the leader, and the
 * scheduler deleted the standby's store just before its task was to take it over (StandbyClusterIT under CI load).
 */
class TaskPlacementTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));
  /** A count by key with a standby: its tasks read "events" (stateless) and its repartition topic (stateful). */
  private static final String COUNT = """
      {"name": "totals", "inputs": ["events"], "value_format": "json", "standby_replicas": %d,
       "steps": [{"group_by": "value.k"}, {"count": {"store": "counts"}}, {"to": "totals"}]}""";
  private static final String REPARTITION = "totals-repartition-0";

  @Test
  void theLeaderRunsTheTasksAndTheFirstInSyncFollowerKeepsTheStandby() {
    Function<String, TopicMetadata> md = t -> topic(t, partition(1, replica(1, true), replica(2, true),
        replica(3, true)));
    assertThat(place(1, md, stream(1, false)).tasks()).containsOnlyKeys("totals/events-0",
        "totals/" + REPARTITION + "-0");
    assertThat(place(1, md, stream(1, false)).standbys()).isEmpty();
    assertThat(place(2, md, stream(1, false)).tasks()).isEmpty();
    assertThat(place(2, md, stream(1, false)).standbys()).containsOnlyKeys("totals/" + REPARTITION + "-0");
    assertThat(place(3, md, stream(1, false)).standbys()).as("only the first in-sync follower").isEmpty();
  }

  @Test
  void aFollowerOutOfSyncKeepsNoStandbyAndTheNextInSyncOneDoes() {
    Function<String, TopicMetadata> md = t -> topic(t, partition(1, replica(1, true), replica(2, false),
        replica(3, true)));
    assertThat(place(2, md, stream(1, false)).standbys()).isEmpty();
    assertThat(place(3, md, stream(1, false)).standbys()).containsOnlyKeys("totals/" + REPARTITION + "-0");
  }

  @Test
  void noStandbyWithoutStandbyReplicasNorForAPausedStream() {
    Function<String, TopicMetadata> md = t -> topic(t, partition(1, replica(1, true), replica(2, true)));
    assertThat(place(2, md, stream(0, false)).standbys()).isEmpty();
    assertThat(place(2, md, stream(1, true)).standbys()).isEmpty();
    assertThat(place(1, md, stream(1, true)).tasks()).isEmpty();
  }

  @Test
  void aTopicNotThereYetPlacesNothing() {
    TaskPlacement p = place(1, t -> null, stream(1, false));
    assertThat(p.tasks()).isEmpty();
    assertThat(p.standbys()).isEmpty();
  }

  /**
   * Metadata that changes between two looks (broker 1, the leader, dies: broker 2 leads with ISR [2]) must place the
   * standby's partition on broker 2 as its standby or as its task, never as neither: one look per topic.
   */
  @Test
  void aFailoverBetweenTwoLooksLeavesTheStandbysBrokerTheStandbyOrTheTask() {
    Map<String, Integer> looks = new HashMap<>();
    Function<String, TopicMetadata> failingOver = t -> looks.merge(t, 1, Integer::sum) == 1
        ? topic(t, partition(1, replica(1, true), replica(2, true)))
        : topic(t, partition(2, replica(1, false), replica(2, true)));
    TaskPlacement p = place(2, failingOver, stream(1, false));
    String key = "totals/" + REPARTITION + "-0";
    assertThat(p.standbys().containsKey(key) || p.tasks().containsKey(key))
        .as("broker 2 keeps the standby or runs the task: " + p.tasks().keySet() + " " + p.standbys().keySet()).isTrue();
    assertThat(looks).as("each topic looked at once").containsOnly(Map.entry("events", 1), Map.entry(REPARTITION,
        1));
  }

  /**
   * Broker 1, the leader, died and no successor is elected yet: the metadata shows no leader and broker 1 as an
   * in-sync follower. Broker 2's standby must stay (it stopped, and the restore after kill -9 read the whole changelog
   * in StandbyClusterIT under CI load); a broker out of sync keeps none.
   */
  @Test
  void whileNoLeaderIsElectedEveryInSyncReplicaKeepsItsStandby() {
    Function<String, TopicMetadata> leaderless = t -> topic(t, partition(-1, replica(1, true), replica(2, true),
        replica(3, false)));
    String key = "totals/" + REPARTITION + "-0";
    assertThat(place(2, leaderless, stream(1, false)).standbys()).containsOnlyKeys(key);
    assertThat(place(2, leaderless, stream(1, false)).tasks()).isEmpty();
    assertThat(place(3, leaderless, stream(1, false)).standbys()).isEmpty();
  }

  private static TaskPlacement place(int broker, Function<String, TopicMetadata> md, StreamStore.Stored s) {
    return TaskPlacement.decide(broker, List.of(s), stored -> PARSER.parse(stored.definition(), null), md);
  }

  private static StreamStore.Stored stream(int standbys, boolean paused) {
    JsonObject record = new JsonObject().put("definition", new JsonObject(COUNT.formatted(standbys)))
        .put("version", 1L).put("paused", paused);
    return new StreamStore.Stored("totals", record, 0, 1L);
  }

  private static TopicMetadata topic(String name, PartitionMetadata p) {
    return new TopicMetadata(name, Map.of(), List.of(p));
  }

  private static PartitionMetadata partition(int leader, ReplicaInfo... replicas) {
    List<ReplicaInfo> marked = java.util.Arrays.stream(replicas)
        .map(r -> new ReplicaInfo(r.broker(), r.broker() == leader, r.inSync())).toList();
    return new PartitionMetadata(0, leader, 1, marked);
  }

  private static ReplicaInfo replica(int broker, boolean inSync) {
    return new ReplicaInfo(broker, false, inSync);
  }
}
