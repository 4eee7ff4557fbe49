package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.sluice.broker.testing.BlockedThreadGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group consumer keeps its membership while its application takes no records (heartbeats), gives it up once the
 * application asked for none for max.poll.interval.ms, and takes a rebalance's assignment from a heartbeat's answer.
 */
class GroupConsumerLivenessTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Far longer than the waits that must succeed: only a heartbeat or a leave, not a session's end, explains them. */
  private static final long LONG_SESSION_MS = 120_000;
  private static final String TOPIC = "t";
  private static final Set<TopicPartition> ALL = Set.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1),
      new TopicPartition(TOPIC, 2), new TopicPartition(TOPIC, 3));

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of("connect.enabled", false, "streams.enabled", false,
        "group.min.session.timeout.ms", 500), o -> o.requestTimeoutMs(10_000));
    client = broker.client();
    client.admin().createTopic(TOPIC, ALL.size(), 1, Map.of()).await().atMost(WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    broker.close();
  }

  private void produceOnePerPartition() {
    Producer p = client.producer(ProducerOptions.defaults().lingerMs(0));
    for (TopicPartition tp : ALL) {
      p.send(new ProducerRecord(TOPIC, tp.partition(), null, null, "v".getBytes(StandardCharsets.UTF_8), List.of()))
          .await().atMost(WAIT);
    }
  }

  private static ConsumerOptions options(long sessionMs) {
    return ConsumerOptions.of("g", List.of(TOPIC)).fetchMaxWaitMs(100).sessionTimeoutMs(sessionMs)
        .enableAutoCommit(false);
  }

  private GroupDescription group() {
    return client.admin().describeGroup("g").await().atMost(WAIT);
  }

  /** Subscribes and asks for one record, which joins the group; then the subscriber asks for nothing. */
  private static AssertSubscriber<ConsumerRecord> takeOne(GroupConsumer c) {
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(1));
    sub.awaitItems(1, WAIT);
    return sub;
  }

  @Test
  void aMemberWhoseSubscriberAsksForNothingForThreeSessionTimeoutsKeepsItsPartitions() {
    produceOnePerPartition();
    long sessionMs = 3_000;
    GroupConsumer a = client.consumer(options(sessionMs));
    takeOne(a);
    await("the member to own every partition").atMost(WAIT).until(() -> a.assignment().equals(ALL));
    await("the group to settle").atMost(WAIT).until(() -> group().state().equals("Stable"));
    int generation = group().generation();

    await("three session timeouts without a rebalance").atMost(Duration.ofMillis(3 * sessionMs).plus(WAIT))
        .during(Duration.ofMillis(3 * sessionMs))
        .until(() -> {
          GroupDescription g = group();
          return g.generation() == generation && g.members().size() == 1;
        });
    assertThat(a.assignment()).isEqualTo(ALL);
    a.close().await().atMost(WAIT);
  }

  @Test
  void aMemberThatStopsAskingPastMaxPollIntervalLeavesAndRejoinsWhenItAsksAgain() {
    GroupConsumer b = client.consumer(options(LONG_SESSION_MS));
    b.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    await("b to own every partition").atMost(WAIT).until(() -> b.assignment().equals(ALL));
    produceOnePerPartition(); // b takes them all; a starts at the group's commits (none): it gets one too

    RecordingRebalanceListener la = new RecordingRebalanceListener();
    GroupConsumer a = client.consumer(options(LONG_SESSION_MS).maxPollIntervalMs(1_000).heartbeatIntervalMs(200)
        .rebalanceListener(la));
    AssertSubscriber<ConsumerRecord> sub = takeOne(a);
    assertThat(la.assigned).as("a joined").isNotEmpty();

    await("a to leave after its poll timeout, b to own everything again").atMost(WAIT)
        .until(() -> b.assignment().equals(ALL) && group().members().size() == 1);
    assertThat(a.assignment()).isEmpty();
    assertThat(la.revoked).as("a's partitions revoked when it left").isNotEmpty();
    assertThatThrownBy(() -> a.commit(Map.of(new TopicPartition(TOPIC, 0), 0L)).await().atMost(WAIT))
        .isInstanceOf(CommitFailedException.class).hasMessageContaining("max.poll.interval.ms");

    sub.request(Long.MAX_VALUE);
    await("a to rejoin on its next request").atMost(WAIT)
        .until(() -> !a.assignment().isEmpty() && b.assignment().size() < ALL.size() && group().members().size() == 2);
    a.close().await().atMost(WAIT);
    b.close().await().atMost(WAIT);
  }

  @Test
  void aHeartbeatAfterARebalanceBeganTakesTheNewAssignmentWithoutARequest() {
    produceOnePerPartition();
    RecordingRebalanceListener la = new RecordingRebalanceListener();
    GroupConsumer a = client.consumer(options(LONG_SESSION_MS).heartbeatIntervalMs(200).rebalanceListener(la));
    takeOne(a);
    await("a to own every partition").atMost(WAIT).until(() -> a.assignment().equals(ALL));
    // The poll a sent ahead after its first answered: once it is done a sends none until asked.
    long[] seen = {-1};
    await("a to stop polling").atMost(WAIT).during(Duration.ofSeconds(1)).until(() -> {
      long now = a.pollRequests();
      boolean same = now == seen[0];
      seen[0] = now;
      return same;
    });
    long polls = a.pollRequests();

    GroupConsumer b = client.consumer(options(LONG_SESSION_MS));
    b.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    await("a to give up what b was assigned, through its heartbeat").atMost(WAIT)
        .until(() -> !b.assignment().isEmpty() && a.assignment().size() + b.assignment().size() == ALL.size());
    Set<TopicPartition> union = new HashSet<>(a.assignment());
    union.addAll(b.assignment());
    assertThat(union).isEqualTo(ALL);
    assertThat(la.revoked).as("a's listener told").isNotEmpty();
    assertThat(a.pollRequests()).as("no poll of a did it").isEqualTo(polls);
    await("the group to be stable: a acknowledged the new generation").atMost(WAIT)
        .until(() -> group().state().equals("Stable"));
    a.close().await().atMost(WAIT);
    b.close().await().atMost(WAIT);
  }
}
