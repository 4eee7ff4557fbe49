package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java {@link ShareConsumer} against a real broker: records of a poll are accepted implicitly at the next call
 * unless acknowledged one by one; RELEASE redelivers with the count raised, REJECT and ACCEPT never; a poll after a
 * partly acknowledged one is refused; close leaves the group.
 */
class ShareConsumerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  static Path dataDir;
  static BrokerWithClient broker;

  @BeforeAll
  static void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of(BrokerConfig.SHARE_RECORD_LOCK_DURATION_MS, 600_000L),
        options -> options.requestTimeoutMs(10_000));
  }

  @AfterAll
  static void stop() throws Exception {
    broker.close();
  }

  private static void topicWith(String topic, int partitions, int records) {
    SluiceClient client = broker.client();
    client.admin().createTopic(topic, partitions, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults());
    for (int i = 0; i < records; i++) {
      producer.send(new ProducerRecord(topic, i % partitions, null, null,
          ("r" + i).getBytes(StandardCharsets.UTF_8), List.of())).await().atMost(WAIT);
    }
    producer.close().await().atMost(WAIT);
  }

  private static ShareConsumer subscribed(String group, String topic) {
    ShareConsumer c = broker.client().shareConsumer(ShareConsumerOptions.of(group).fromEarliest(true));
    c.subscribe(List.of(topic)).await().atMost(WAIT);
    return c;
  }

  private static List<ShareConsumerRecord> poll(ShareConsumer c, long ms) {
    return c.poll(Duration.ofMillis(ms)).await().atMost(WAIT);
  }

  /** Polls until {@code n} records came (each poll accepting the one before implicitly). */
  private static List<ShareConsumerRecord> pollAll(ShareConsumer c, int n) {
    List<ShareConsumerRecord> got = new ArrayList<>();
    while (got.size() < n) {
      got.addAll(poll(c, 2_000));
    }
    return got;
  }

  @Test
  void recordsAreAcceptedImplicitlyAndNeverDeliveredAgain() {
    topicWith("implicit", 2, 6);
    ShareConsumer a = subscribed("implicit-g", "implicit");
    List<ShareConsumerRecord> got = pollAll(a, 6);
    assertThat(got).extracting(ShareConsumerRecord::deliveryCount).containsOnly(1);
    assertThat(a.commitSync().await().atMost(WAIT).values()).containsOnly(Optional.empty());
    ShareConsumer b = subscribed("implicit-g", "implicit");
    assertThat(poll(b, 500)).isEmpty();
    a.close().await().atMost(WAIT);
    b.close().await().atMost(WAIT);
  }

  @Test
  void releaseRedeliversRejectAndAcceptDoNotAndCloseLeaves() {
    topicWith("explicit", 1, 3);
    ShareConsumer a = subscribed("explicit-g", "explicit");
    for (ShareConsumerRecord r : pollAll(a, 3)) {
      a.acknowledge(r, switch ((int) r.offset()) {
        case 0 -> AcknowledgeType.ACCEPT;
        case 1 -> AcknowledgeType.RELEASE;
        default -> AcknowledgeType.REJECT;
      });
    }
    assertThat(a.commitSync().await().atMost(WAIT))
        .containsExactly(Map.entry(new TopicPartition("explicit", 0), Optional.empty()));
    a.close().await().atMost(WAIT);

    ShareConsumer b = subscribed("explicit-g", "explicit");
    List<ShareConsumerRecord> again = poll(b, 2_000);
    assertThat(again).extracting(ShareConsumerRecord::offset).containsExactly(1L);
    assertThat(again.get(0).deliveryCount()).isEqualTo(2);
    assertThat(new String(again.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("r1");
    b.close().await().atMost(WAIT); // accepts offset 1 implicitly, then leaves
    ShareConsumer c = subscribed("explicit-g", "explicit");
    assertThat(poll(c, 500)).isEmpty();
    c.close().await().atMost(WAIT);
  }

  @Test
  void aPollAfterAPartlyAcknowledgedOneIsRefused() {
    topicWith("partly", 1, 2);
    ShareConsumer a = subscribed("partly-g", "partly");
    List<ShareConsumerRecord> got = pollAll(a, 2);
    a.acknowledge(got.get(0));
    assertThatThrownBy(() -> poll(a, 0)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not acknowledged");
    a.acknowledge(got.get(1), AcknowledgeType.ACCEPT);
    assertThat(poll(a, 0)).isEmpty();
    a.close().await().atMost(WAIT);
  }

  /** The ids of the share group's members, as the broker describes it. */
  private static List<String> memberIds(WebClient web, String group) throws Exception {
    HttpResponse<Buffer> r = web.get("/share-groups/" + group).send().await(60, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    r.bodyAsJsonObject().getJsonArray("members").forEach(m -> ids.add(((JsonObject) m).getString("member_id")));
    return ids;
  }

  /** Removes the group's only member behind its consumer's back, as an expired session would; answers its id. */
  private static String removeTheMember(WebClient web, String group) throws Exception {
    List<String> ids = memberIds(web, group);
    assertThat(ids).hasSize(1);
    HttpResponse<Buffer> r = web.delete("/share-groups/" + group + "/members/" + ids.get(0)).send()
        .await(60, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    return ids.get(0);
  }

  /** What a test does to a subscribed consumer with a web client on the broker; both closed after. */
  private interface WithWeb {
    void run(ShareConsumer consumer, WebClient web) throws Exception;
  }

  private static void subscribedWithWeb(String group, String topic, WithWeb body) throws Exception {
    ShareConsumer consumer = subscribed(group, topic);
    WebClient web = TestClients.web(broker.httpPort());
    try {
      body.run(consumer, web);
    } finally {
      consumer.close().await().atMost(WAIT);
      web.close();
    }
  }

  @Test
  void aPollOfAMemberTheGroupNoLongerKnowsJoinsAgainAndFetchesInTheSamePoll() throws Exception {
    topicWith("rejoin", 1, 3);
    subscribedWithWeb("rejoin-g", "rejoin", (a, web) -> {
      String removed = removeTheMember(web, "rejoin-g");
      List<ShareConsumerRecord> first = poll(a, 5_000);
      assertThat(first).as("the poll that found the member unknown").isNotEmpty();
      List<ShareConsumerRecord> all = new ArrayList<>(first);
      while (all.size() < 3) {
        all.addAll(poll(a, 2_000));
      }
      assertThat(all).extracting(ShareConsumerRecord::offset).containsExactly(0L, 1L, 2L);
      assertThat(memberIds(web, "rejoin-g")).hasSize(1).doesNotContain(removed);
    });
  }

  @Test
  void aHeartbeatThatFindsTheMemberUnknownJoinsAgain() throws Exception {
    topicWith("beat", 1, 1);
    subscribedWithWeb("beat-g", "beat", (a, web) -> {
      String removed = removeTheMember(web, "beat-g");
      // No poll: only the heartbeat (every 5 s with the broker's default session) can notice.
      Awaitility.await().atMost(WAIT).until(() -> {
        List<String> ids = memberIds(web, "beat-g");
        return ids.size() == 1 && !ids.contains(removed);
      });
    });
  }
}
