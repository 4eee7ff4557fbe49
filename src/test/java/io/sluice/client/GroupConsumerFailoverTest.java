package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group consumer when the broker of its {@code base_uri} stops answering, when a poll's answer is lost after the
 * broker applied it, and when the broker's positions of the instance go back: one in-process broker behind two
 * proxies that pass themselves off as brokers, so the instance's {@code base_uri} names proxy A.
 */
class GroupConsumerFailoverTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String RECORDS_PATH = "/records?";

  @TempDir
  Path dataDir;
  private Broker broker;
  private Vertx testVertx;
  private LossyProxy a;
  private LossyProxy b;
  private SluiceClient client;
  private Producer producer;

  @BeforeEach
  void start() throws Exception {
    broker = startBroker();
    testVertx = Vertx.vertx();
    a = new LossyProxy(testVertx, broker.httpPort()).asBroker();
    b = new LossyProxy(testVertx, broker.httpPort()).asBroker();
    // followLeaders(false): every request crosses a proxy, never the address the broker advertises.
    client = SluiceClient.create(ClientOptions.bootstrap(a.url(), b.url()).requestTimeoutMs(10_000)
        .followLeaders(false));
    producer = client.producer(ProducerOptions.defaults().lingerMs(0));
  }

  private Broker startBroker() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.HTTP_PORT, 0));
    Broker started = TestBrokers.start(config, GUARD, HttpListener::new);
    return started;
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close().await().atMost(WAIT);
    }
    for (LossyProxy p : new LossyProxy[] {a, b}) {
      if (p != null) {
        p.close();
      }
    }
    if (testVertx != null) {
      testVertx.close().await(30, TimeUnit.SECONDS);
    }
    TestBrokers.close(broker);
  }

  /** Records "p:i" for i in [from, to) to every partition p, one per request, so a small poll holds a few. */
  private void produce(String topic, int partitions, int from, int to) {
    for (int i = from; i < to; i++) {
      for (int p = 0; p < partitions; p++) {
        producer.send(new ProducerRecord(topic, p, null, null, (p + ":" + i).getBytes(StandardCharsets.UTF_8),
            List.of())).await().atMost(WAIT);
      }
    }
  }

  private GroupConsumer consumer(String group, String topic) {
    return client.consumer(ConsumerOptions.of(group, List.of(topic)).fetchMaxWaitMs(100).fetchMaxBytes(200)
        .sessionTimeoutMs(6_000).enableAutoCommit(true).autoCommitIntervalMs(100));
  }

  /** The records' "partition@offset" in hand-out order, which must be each partition's offsets 0..n-1 in order. */
  private static void assertEveryOffsetOnceInOrder(List<ConsumerRecord> records, int partitions, int perPartition) {
    List<String> got = records.stream().map(r -> r.partition() + "@" + r.offset()).toList();
    assertThat(got).doesNotHaveDuplicates().hasSize(partitions * perPartition);
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      assertThat(records.stream().filter(r -> r.partition() == partition).map(ConsumerRecord::offset).toList())
          .as("partition %d in order", p).isSorted().hasSize(perPartition);
    }
    for (ConsumerRecord r : records) {
      assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(r.partition() + ":" + r.offset());
    }
  }

  /** The instance's path as the consumer polls it through a proxy. */
  private static String instancePath(LossyProxy proxy) {
    String poll = proxy.requests.stream().filter(r -> r.contains(RECORDS_PATH)).findFirst().orElseThrow();
    return poll.substring(poll.indexOf(' ') + 1, poll.indexOf(RECORDS_PATH));
  }

  @Test
  void whenTheBrokerOfItsBaseUriStopsAnsweringTheConsumerGoesOnThroughAnotherWithEveryOffsetOnce() throws Exception {
    client.admin().createTopic("fo", 2, 1, Map.of()).await().atMost(WAIT);
    produce("fo", 2, 0, 30);
    GroupConsumer c = consumer("g-fo", "fo");
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(20));
    sub.awaitItems(20, WAIT);
    assertThat(a.count("GET /consumers/g-fo/")).as("the instance is polled through its base_uri, proxy A")
        .isPositive();
    long throughB = b.count("GET /consumers/g-fo/");

    a.close(); // the base_uri's "broker" is gone: connections refused from now on
    sub.request(Long.MAX_VALUE);
    sub.awaitItems(60, WAIT);
    assertThat(b.count("GET /consumers/g-fo/")).as("polls went on through proxy B").isGreaterThan(throughB);
    a = null;
    assertEveryOffsetOnceInOrder(sub.getItems(), 2, 30);
    sub.cancel();
    c.close().await().atMost(WAIT);
    assertThat(client.admin().groupLags("g-fo").await().atMost(WAIT)).extracting(PartitionLag::lag)
        .as("the commits went through B too").containsOnly(0L);
  }

  @Test
  void aPollWhoseAnswerIsLostAfterTheBrokerAppliedItSkipsNoRecord() {
    client.admin().createTopic("lost", 1, 1, Map.of()).await().atMost(WAIT);
    produce("lost", 1, 0, 40);
    GroupConsumer c = consumer("g-lost", "lost");
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(5));
    sub.awaitItems(5, WAIT);
    // The next poll moves the instance's position past its records at the broker; the client never hears of them.
    a.dropResponses(r -> r.method() == HttpMethod.GET && r.uri().contains(RECORDS_PATH), 1);
    sub.request(Long.MAX_VALUE);
    sub.awaitItems(40, WAIT);
    assertThat(a.dropped.get()).isEqualTo(1);
    assertEveryOffsetOnceInOrder(sub.getItems(), 1, 40);
    sub.cancel();
  }

  @Test
  void recordsTheBrokerServesAgainAfterItsPositionWentBackAreNotHandedOutTwice() throws Exception {
    client.admin().createTopic("back", 1, 1, Map.of()).await().atMost(WAIT);
    produce("back", 1, 0, 30);
    GroupConsumer c = consumer("g-back", "back");
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(20));
    sub.awaitItems(20, WAIT);
    await("20 records handed out").atMost(Duration.ofMinutes(1))
        .until(() -> sub.getItems().size() == 20 && c.pollRequests() > 0);
    // What a coordinator restarting at an older commit does to the instance: its position goes back to 0.
    JsonObject toZero = new JsonObject().put("offsets", new JsonArray().add(new JsonObject().put("topic", "back")
        .put("partition", 0).put("offset", 0)));
    HttpResponse<String> moved = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(b.url() + instancePath(a) + "/positions")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(toZero.encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(moved.statusCode()).as(moved.body()).isEqualTo(204);
    long repositionsBefore = a.count("POST " + instancePath(a) + "/positions");

    sub.request(Long.MAX_VALUE);
    produce("back", 1, 30, 40);
    sub.awaitItems(40, WAIT);
    assertEveryOffsetOnceInOrder(sub.getItems(), 1, 40);
    assertThat(a.count("POST " + instancePath(a) + "/positions"))
        .as("the client put the position back after the first re-read").isGreaterThan(repositionsBefore);
    sub.cancel();
  }

  @Test
  void aCommitMadeAfterTheCoordinatorRestartedAndBeforeTheNextPollIsAccepted() throws Exception {
    client.admin().createTopic("rc", 1, 1, Map.of()).await().atMost(WAIT);
    produce("rc", 1, 0, 10);
    GroupConsumer c = client.consumer(ConsumerOptions.of("g-rc", List.of("rc")).fetchMaxWaitMs(100)
        .sessionTimeoutMs(6_000).enableAutoCommit(false));
    assertThat(c.records().select().first(10).collect().asList().await().atMost(WAIT)).hasSize(10);
    // The coordinator restarts: the instance is restored from the offsets topic, its group membership is gone.
    TestBrokers.close(broker);
    broker = startBroker();
    a.brokerPort(broker.httpPort());
    b.brokerPort(broker.httpPort());

    c.commit().await().atMost(WAIT);
    assertThat(client.admin().groupLags("g-rc").await().atMost(WAIT)).extracting(PartitionLag::committedOffset)
        .containsExactly(10L);
    c.close().await().atMost(WAIT);
  }

  @Test
  void aSeekMadeAfterTheCoordinatorRestartedAndBeforeTheNextPollIsApplied() throws Exception {
    client.admin().createTopic("rs", 1, 1, Map.of()).await().atMost(WAIT);
    produce("rs", 1, 0, 10);
    GroupConsumer c = client.consumer(ConsumerOptions.of("g-rs", List.of("rs")).fetchMaxWaitMs(100)
        .sessionTimeoutMs(6_000).enableAutoCommit(false));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(10));
    sub.awaitItems(10, WAIT);
    TestBrokers.close(broker);
    broker = startBroker();
    a.brokerPort(broker.httpPort());
    b.brokerPort(broker.httpPort());

    c.seek(new TopicPartition("rs", 0), StartPosition.offset(3)).await().atMost(WAIT);
    sub.request(3);
    sub.awaitItems(13, WAIT);
    assertThat(sub.getItems().subList(10, 13)).extracting(ConsumerRecord::offset).containsExactly(3L, 4L, 5L);
    sub.cancel();
  }
}
