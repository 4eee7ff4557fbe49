package io.sluice.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client quotas on real brokers: set through {@code /client-quotas}, answers of a client over its quota carry their
 * throttle time while other clients' do not, a change at runtime applies, and a second broker applies them too.
 *
 * <p>Rates are measured over 2 windows of 1 s here (the elapsed time counts at least one whole window), so a 2,000
 * byte body against 1,000 B/s is over at once whatever the machine's speed; the throttle times asserted are only
 * positive or absent, never timed. Up to three brokers: run alone, after the one-broker classes.
 */
@org.junit.jupiter.api.Tag("several-brokers")
class ClientQuotasApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dataDir;
  private static InProcessCluster cluster;
  private static Broker first;
  private static WebClient client;
  private static WebClient secondClient;

  @BeforeAll
  static void start() throws Exception {
    cluster = InProcessCluster.create(dataDir, GUARD).withHttp().set(BrokerConfig.QUOTA_WINDOW_NUM, 2).start(2);
    first = cluster.broker(1);
    client = cluster.web(1);
    secondClient = cluster.web(2);
    for (String topic : new String[] {"t", "quota-java"}) {
      HttpResponse<Buffer> r = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", topic)
          .put("partitions", 1).put("replication_factor", 1)));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> alter(WebClient c, JsonObject entity, String key, Object value)
      throws Exception {
    JsonObject op = new JsonObject().put("key", key);
    if (value == null) {
      op.put("remove", true);
    } else {
      op.put("value", value);
    }
    return await(c.post("/client-quotas:alter").sendJsonObject(new JsonObject().put("entries", new JsonArray()
        .add(new JsonObject().put("entity", entity).put("ops", new JsonArray().add(op))))));
  }

  private static void set(JsonObject entity, String key, Object value) throws Exception {
    HttpResponse<Buffer> r = alter(client, entity, key, value);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  /** Waits until {@code broker}'s own view of the quotas satisfies {@code condition} (ZooKeeper's watch is async). */
  private static void awaitQuotas(WebClient c, Predicate<JsonArray> condition) {
    Awaitility.await("the quotas the broker shows").atMost(Duration.ofSeconds(30)).until(
        () -> await(c.get("/client-quotas").send()).bodyAsJsonObject().getJsonArray("entries"), condition::test);
  }

  private static Predicate<JsonArray> hasClient(String clientId, String key) {
    return entries -> entries.stream().map(JsonObject.class::cast)
        .anyMatch(e -> clientId.equals(e.getJsonObject("entity").getString("client-id"))
            && e.getJsonObject("quotas").containsKey(key));
  }

  private static HttpResponse<Buffer> produce(WebClient c, String clientId, int bytes) throws Exception {
    JsonObject body = new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value",
        "x".repeat(bytes))));
    HttpResponse<Buffer> r = await(c.post("/topics/t/partitions/0").putHeader("Sluice-Client-Id", clientId)
        .putHeader("Content-Type", "application/vnd.kafka.json.v2+json").sendBuffer(body.toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r;
  }

  private static Long throttle(HttpResponse<Buffer> r) {
    String h = r.getHeader("Sluice-Throttle-Time-Ms");
    return h == null ? null : Long.parseLong(h);
  }

  @Test
  void aProducerOverItsQuotaIsAnsweredLateWithItsThrottleTimeAndOthersAreNot() throws Exception {
    set(new JsonObject().put("client-id", "greedy"), "producer_byte_rate", 1_000);
    awaitQuotas(client, hasClient("greedy", "producer_byte_rate"));

    HttpResponse<Buffer> over = produce(client, "greedy", 2_000);
    assertThat(throttle(over)).as("2,000 bytes in the first second against 1,000 B/s").isPositive();
    assertThat(over.bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0).containsKey("offset"))
        .as("the throttled produce is written").isTrue();
    assertThat(throttle(produce(client, "polite", 2_000))).as("a client without a quota").isNull();
  }

  /** Paths the router takes as a produce's or a fetch's are counted as one, however they are spelt. */
  @Test
  void aProduceOrFetchSpeltAnotherWayIsCountedAndHeld() throws Exception {
    String[] produces = {"/topics/t/partitions/0/", "//topics/t/partitions/0", "/topics/./t/partitions/0",
        "/topics/t/partitions/x/../0", "/topics/t/partitions/0/batches/../"};
    for (int i = 0; i < produces.length; i++) {
      String clientId = "spelt-" + i;
      set(new JsonObject().put("client-id", clientId), "producer_byte_rate", 1_000);
      awaitQuotas(client, hasClient(clientId, "producer_byte_rate"));
      JsonObject body = new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value",
          "x".repeat(2_000))));
      HttpResponse<Buffer> r = await(client.post(produces[i]).putHeader("Sluice-Client-Id", clientId)
          .putHeader("Content-Type", "application/vnd.kafka.json.v2+json").sendBuffer(body.toBuffer()));
      assertThat(r.statusCode()).as(produces[i] + ": " + r.bodyAsString()).isEqualTo(200);
      assertThat(throttle(r)).as(produces[i]).isNotNull().isPositive();
    }
    set(new JsonObject().put("client-id", "spelt-fetch"), "consumer_byte_rate", 1_000);
    awaitQuotas(client, hasClient("spelt-fetch", "consumer_byte_rate"));
    HttpResponse<Buffer> fetched = await(client.get("/topics/t/partitions/0/records/?offset=0")
        .putHeader("Sluice-Client-Id", "spelt-fetch").putHeader("Accept", "application/vnd.kafka.json.v2+json")
        .send());
    assertThat(fetched.statusCode()).as(fetched.bodyAsString()).isEqualTo(200);
    assertThat(throttle(fetched)).as("counted against the fetch quota").isNotNull();
  }

  @Test
  void aQuotaSetAtRuntimeAppliesToTheNextRequestAndItsRemovalLiftsIt() throws Exception {
    assertThat(throttle(produce(client, "latecomer", 10))).isNull();
    set(new JsonObject().put("client-id", "latecomer"), "request_rate", 1_000_000);
    awaitQuotas(client, hasClient("latecomer", "request_rate"));
    assertThat(throttle(produce(client, "latecomer", 10))).as("measured, under its quota").isZero();

    set(new JsonObject().put("client-id", "latecomer"), "request_rate", null);
    awaitQuotas(client, hasClient("latecomer", "request_rate").negate());
    assertThat(throttle(produce(client, "latecomer", 10))).isNull();
  }

  @Test
  void aFetchOverItsQuotaDelaysTheNextFetch() throws Exception {
    produce(client, "writer", 3_000);
    set(new JsonObject().put("client-id", "reader"), "consumer_byte_rate", 1_000);
    awaitQuotas(client, hasClient("reader", "consumer_byte_rate"));
    // One connection: a fetch is counted once its answer is written, and the next request on the same connection is
    // read after that (on another connection it may race the count).
    WebClient one = WebClient.create(TestClients.vertx(), new io.vertx.ext.web.client.WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(first.httpPort()), new io.vertx.core.http.PoolOptions()
        .setHttp1MaxSize(1));
    try {
      assertThat(throttle(fetch(one, "reader"))).as("nothing answered yet").isZero();
      assertThat(throttle(fetch(one, "reader"))).as("after 3,000 bytes answered in the first second").isPositive();
      assertThat(throttle(fetch(one, "other-reader"))).as("a reader without a quota").isNull();
    } finally {
      one.close();
    }
  }

  private static HttpResponse<Buffer> fetch(WebClient c, String clientId) throws Exception {
    HttpResponse<Buffer> r = await(c.get("/topics/t/partitions/0/records?offset=0")
        .putHeader("Sluice-Client-Id", clientId).putHeader("Accept", "application/vnd.kafka.json.v2+json").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r;
  }

  @Test
  void theMostSpecificEntityWins() throws Exception {
    set(new JsonObject().putNull("client-id"), "request_rate", 1_000_000);
    set(new JsonObject().put("client-id", "tight"), "producer_byte_rate", 1_000);
    awaitQuotas(client, hasClient("tight", "producer_byte_rate").and(hasClient("<default>", "request_rate")));

    try {
      assertThat(throttle(produce(client, "tight", 2_000))).as("its own produce quota").isPositive();
      assertThat(throttle(produce(client, "anyone", 2_000))).as("the default client id's request quota only")
          .isZero();
    } finally {
      set(new JsonObject().putNull("client-id"), "request_rate", null);
      awaitQuotas(client, hasClient("<default>", "request_rate").negate());
    }
  }

  @Test
  void aSecondBrokerAppliesQuotasSetThroughTheFirst() throws Exception {
    set(new JsonObject().put("user", "ANONYMOUS").put("client-id", "everywhere"), "producer_byte_rate", 1_000);
    awaitQuotas(secondClient, entries -> entries.stream().map(JsonObject.class::cast)
        .anyMatch(e -> "everywhere".equals(e.getJsonObject("entity").getString("client-id"))));

    assertThat(throttle(produce(secondClient, "everywhere", 2_000))).isPositive();
  }

  @Test
  void aBrokerStartedLaterHasTheQuotasBeforeItServes() throws Exception {
    set(new JsonObject().put("client-id", "kept"), "consumer_byte_rate", 5_000);
    awaitQuotas(client, hasClient("kept", "consumer_byte_rate"));
    cluster.startBroker(3);
    WebClient thirdClient = cluster.web(3);
    try {
      JsonArray entries = await(thirdClient.get("/client-quotas?client-id=kept").send()).bodyAsJsonObject()
          .getJsonArray("entries");
      assertThat(entries).as("read from ZooKeeper during the start, not after").hasSize(1);
    } finally {
      cluster.stop(3);
    }
  }

  @Test
  void describeFiltersAsKafkasDescribeClientQuotas() throws Exception {
    set(new JsonObject().put("user", "alice"), "request_rate", 10);
    set(new JsonObject().put("user", "alice").put("client-id", "app"), "request_rate", 20);
    awaitQuotas(client, entries -> entries.size() >= 2 && entries.stream().map(JsonObject.class::cast)
        .filter(e -> "alice".equals(e.getJsonObject("entity").getString("user"))).count() == 2);

    JsonArray strict = await(client.get("/client-quotas?user=alice&strict=true").send()).bodyAsJsonObject()
        .getJsonArray("entries");
    assertThat(strict).hasSize(1);
    assertThat(strict.getJsonObject(0).getJsonObject("quotas").getDouble("request_rate")).isEqualTo(10.0);
    JsonArray any = await(client.get("/client-quotas?user=alice&client-id=*").send()).bodyAsJsonObject()
        .getJsonArray("entries");
    assertThat(any).hasSize(1);
    assertThat(any.getJsonObject(0).getJsonObject("entity").getString("client-id")).isEqualTo("app");

    HttpResponse<Buffer> deleted = await(client.delete("/client-quotas?user=alice&client-id=app").send());
    assertThat(deleted.statusCode()).isEqualTo(204);
  }

  @Test
  void badAlterationsAreRefusedNamingTheField() throws Exception {
    assertError(alter(client, new JsonObject().put("client-id", "x"), "producer_byte_rate", -5),
        "entries[0].ops[0].value");
    assertError(alter(client, new JsonObject().put("client-id", "x"), "request_percentage", 5),
        "entries[0].ops[0].key");
    assertError(alter(client, new JsonObject().put("group", "x"), "request_rate", 5), "entries[0].entity.group");
    assertError(alter(client, new JsonObject(), "request_rate", 5), "entries[0]");
  }

  @Test
  void theJavaClientsProducerOverItsQuotaSlowsAndLosesNothingAndItsAdminSetsQuotas() throws Exception {
    io.sluice.client.SluiceClient sluice = io.sluice.client.SluiceClient.create(io.sluice.client.ClientOptions
        .bootstrap("http://127.0.0.1:" + first.httpPort()).clientId("java-producer"));
    try {
      sluice.admin().alterClientQuotas(java.util.List.of(new io.sluice.client.ClientQuotas.Alteration(
          io.sluice.client.ClientQuotas.entity(null, "java-producer"), Map.of("producer_byte_rate", 20_000.0))))
          .await().atMost(java.time.Duration.ofSeconds(30));
      awaitQuotas(client, hasClient("java-producer", "producer_byte_rate"));
      assertThat(sluice.admin().describeClientQuotas(new io.sluice.client.ClientQuotas.Filter(null, "java-producer",
          true)).await().atMost(java.time.Duration.ofSeconds(30)))
          .containsExactly(new io.sluice.client.ClientQuotas.Entry(Map.of("client-id", "java-producer"),
              Map.of("producer_byte_rate", 20_000.0)));

      io.sluice.client.Producer producer = sluice.producer(io.sluice.client.ProducerOptions.defaults().lingerMs(0));
      int records = 60;
      java.util.concurrent.CompletableFuture<java.util.List<Long>> sent = producer.send(io.smallrye.mutiny.Multi
              .createFrom().range(0, records)
              .map(i -> io.sluice.client.ProducerRecord.of("quota-java", "k", "v".repeat(1_000))))
          .map(io.sluice.client.RecordMetadata::offset).collect().asList().subscribeAsCompletionStage();
      // Scraped while the producer runs: the broker forgets a client's sensor (and its gauge) a quota span after its
      // last request, so a first scrape after the producer finished could come too late on a loaded machine.
      awaitThrottleMetric("java-producer");
      assertThat(sent.get(60, TimeUnit.SECONDS)).as("every record written, none failed").hasSize(records);
    } finally {
      sluice.close().await().atMost(java.time.Duration.ofSeconds(30));
    }
  }

  /** Waits until /metrics shows time held for {@code clientId} (the gauges are published every quota span). */
  private static void awaitThrottleMetric(String clientId) {
    java.util.regex.Pattern held = java.util.regex.Pattern.compile("sluice_client_quota_throttle_time_milliseconds"
        + "\\{[^}]*client_id=\"" + clientId + "\"[^}]*type=\"producer_byte_rate\"[^}]*\\} ([0-9.E]+)");
    Awaitility.await("throttle time shown for " + clientId).atMost(Duration.ofSeconds(30)).until(() -> {
      java.util.regex.Matcher m = held.matcher(await(client.get("/metrics").send()).bodyAsString());
      return m.find() && Double.parseDouble(m.group(1)) > 0;
    });
  }

  private static void assertError(HttpResponse<Buffer> r, String field) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).isEqualTo(42);
    assertThat(r.bodyAsJsonObject().getString("message")).contains(field);
  }
}
