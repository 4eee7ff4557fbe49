package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestAcls;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.streams.BrokerHttp.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client allowed to manage streams (Cluster Alter) is held, with the authorizer on, to what Kafka Streams needs of
 * its principal on the stream's topics: before, it defined a stream copying a topic it could not read into one it could,
 * previewed any topic's last records, and deleted a topic it named as dead-letter topic. The broker allows everything
 * no ACL applies to, so the anonymous client loses a right on a topic when an ACL there names someone else. The last
 * test takes Cluster Alter from it for good (an ACL on the cluster), hence the order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamsAclTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());

  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of(BrokerConfig.AUTHORIZER_ENABLE, true,
        BrokerConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND, true));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static void allow(String type, String name, String principal, String operation) throws Exception {
    Reply r = HTTP.send("POST", "/acls", TestAcls.allow(type, name, principal, operation));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private static JsonObject stream(String name, String input, String output) {
    return new JsonObject().put("name", name).put("inputs", new JsonArray().add(input))
        .put("steps", new JsonArray().add(new JsonObject().put("to", output)));
  }

  private static void assertRefused(Reply r, String... named) {
    TestAcls.assertRefused(r.status(), r.body(), named);
  }

  @Test
  @Order(1)
  void creatingAStreamNeedsReadOnWhatItReadsAndWriteOnWhatItWrites() throws Exception {
    HTTP.createTopic("hr-salaries", 1);
    HTTP.createTopic("open-in", 1);
    HTTP.createTopic("read-only", 1);
    allow("TOPIC", "hr-salaries", "User:payroll", "READ");
    allow("TOPIC", "read-only", "User:ANONYMOUS", "READ");

    assertRefused(HTTP.send("POST", "/streams", stream("leak", "hr-salaries", "leak-out")),
        "Read topic 'hr-salaries'");
    assertRefused(HTTP.send("POST", "/streams", stream("push", "open-in", "read-only")), "Write topic 'read-only'");
    assertRefused(HTTP.send("POST", "/streams", stream("dlq", "open-in", "dlq-out")
        .put("dead_letter_topic", "read-only")), "Write topic 'read-only'");
    for (String name : new String[] {"leak", "push", "dlq"}) {
      assertThat(HTTP.send("GET", "/streams/" + name, null).status()).as(name + " stored").isEqualTo(404);
    }
    assertThat(HTTP.send("GET", "/topics/leak-dlq", null).status()).as("nothing created").isEqualTo(404);
    assertThat(HTTP.send("POST", "/streams", stream("fine", "open-in", "fine-out")).status()).isEqualTo(201);
  }

  @Test
  @Order(2)
  void previewingTheLastRecordsNeedsReadOnTheInputs() throws Exception {
    HTTP.createTopic("payslips", 1);
    HTTP.produce("payslips", new JsonArray().add(new JsonObject().put("value",
        new JsonObject().put("name", "carol").put("amount", 91234))));
    allow("TOPIC", "payslips", "User:payroll", "READ");
    JsonObject definition = stream("peek", "payslips", "peek-out").put("value_format", "json");

    Reply last = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", definition).put("last", 10));
    assertRefused(last, "Read topic 'payslips'");
    assertThat(last.body()).doesNotContain("91234");
    Reply inline = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", definition)
        .put("records", new JsonArray().add(new JsonObject().put("value", 1))));
    assertRefused(inline, "Describe topic 'payslips'");
  }

  @Test
  @Order(3)
  void changingAStreamNeedsWhatRunningItNeedsAndDoesNotNameItsTopics() throws Exception {
    HTTP.createTopic("mirror-in", 1);
    assertThat(HTTP.send("POST", "/streams", stream("mirror", "mirror-in", "mirror-out")).status()).isEqualTo(201);
    allow("TOPIC", "mirror-in", "User:owner", "READ");

    Reply[] refused = {HTTP.send("PUT", "/streams/mirror", stream("mirror", "open-in", "mirror-out")),
        HTTP.send("POST", "/streams/mirror/pause", null), HTTP.send("POST", "/streams/mirror/resume", null),
        HTTP.send("POST", "/streams/mirror/restart", null), HTTP.send("DELETE", "/streams/mirror", null)};
    for (Reply r : refused) {
      assertRefused(r, "stream 'mirror'");
      assertThat(r.body()).doesNotContain("mirror-in");
    }
    StreamStore.Stored stored = StreamsBroker.store(broker).get("mirror");
    assertThat(stored.version()).isEqualTo(1);
    assertThat(stored.paused()).isFalse();
    assertThat(stored.record().getLong("restarts", 0L)).isZero();
  }

  @Test
  @Order(4)
  void deletingAStreamsTopicsNeedsDeleteOnThem() throws Exception {
    HTTP.createTopic("sweep-in", 1);
    HTTP.createTopic("shared-errors", 1);
    JsonObject definition = stream("sweep", "sweep-in", "sweep-out").put("dead_letter_topic", "shared-errors");
    assertThat(HTTP.send("POST", "/streams", definition).status()).isEqualTo(201);
    allow("TOPIC", "shared-errors", "User:ANONYMOUS", "WRITE");

    assertRefused(HTTP.send("DELETE", "/streams/sweep?delete_topics=true", null), "stream 'sweep'");
    assertThat(HTTP.send("GET", "/streams/sweep", null).status()).isEqualTo(200);
    assertThat(HTTP.send("DELETE", "/streams/sweep", null).status()).isEqualTo(204);
    assertThat(HTTP.send("GET", "/topics/shared-errors", null).status()).isEqualTo(200);
  }

  @Test
  @Order(5)
  void aStreamMayNotWriteTheBrokersInternalTopics() throws Exception {
    HTTP.createTopic("inner-in", 1);
    for (JsonObject d : new JsonObject[] {stream("inner", "inner-in", "__consumer_offsets"),
        stream("inner", "inner-in", "inner-out").put("dead_letter_topic", "__consumer_offsets"),
        stream("inner", "inner-in", "__connect_configs")}) {
      Reply r = HTTP.send("POST", "/streams", d);
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.json().getInteger("error_code")).isEqualTo(17);
    }
  }

  @Test
  @Order(6)
  void topicsTheBrokerMakesForAStreamNeedCreate() throws Exception {
    HTTP.createTopic("make-in", 1);
    allow("CLUSTER", "kafka-cluster", "User:ANONYMOUS", "ALTER"); // and nothing else on the cluster: no Create
    allow("CLUSTER", "kafka-cluster", "User:ANONYMOUS", "DESCRIBE");
    allow("TOPIC", "make-dlq", "User:ANONYMOUS", "WRITE"); // and not Create, on the topic nor on the cluster
    try {
      assertRefused(HTTP.send("POST", "/streams", stream("make", "make-in", "make-out")), "Create topic 'make-dlq'");
      assertThat(HTTP.send("GET", "/streams/make", null).status()).isEqualTo(404);
      allow("TOPIC", "make-dlq", "User:ANONYMOUS", "CREATE");
      Reply made = HTTP.send("POST", "/streams", stream("make", "make-in", "make-out"));
      assertThat(made.status()).as(made.body()).isEqualTo(201);
    } finally {
      Reply r = HTTP.send("DELETE", "/acls?resource_type=CLUSTER&principal=User:ANONYMOUS", null);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    }
  }

  /** Takes Cluster Alter from the anonymous client for good: the last test. */
  @Test
  @Order(7)
  void anUnknownStreamIsRefusedLikeAHiddenOneToWhoMayNotCreateStreams() throws Exception {
    HTTP.createTopic("hidden-in", 1);
    // Who holds Cluster Alter is told 404 for an unknown stream (a create's 409 would tell it anyway).
    assertThat(HTTP.send("GET", "/streams/nowhere", null).status()).isEqualTo(404);
    JsonObject definition = stream("hidden", "hidden-in", "hidden-out").put("value_format", "json")
        .put("steps", new JsonArray("""
            [{"group_by": "value.k"}, {"count": {"store": "s"}}, {"to": "hidden-out"}]"""));
    Reply created = HTTP.send("POST", "/streams", definition);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    allow("TOPIC", "hidden-in", "User:spy-catcher", "READ");
    allow("CLUSTER", "kafka-cluster", "User:ANONYMOUS", "DESCRIBE");

    for (String path : new String[] {"/streams/%s", "/streams/%s/topology", "/streams/%s/topology?format=text",
        "/streams/%s/stores/s/keys", "/streams/%s/stores/s/keys/k"}) {
      Reply hidden = HTTP.send("GET", path.formatted("hidden"), null);
      Reply unknown = HTTP.send("GET", path.formatted("nowhere"), null);
      assertRefused(hidden, "stream 'hidden'");
      assertThat(unknown.status()).as(unknown.body()).isEqualTo(hidden.status());
      assertThat(unknown.body().replace("nowhere", "hidden")).isEqualTo(hidden.body());
      assertThat(hidden.body()).doesNotContain("hidden-in");
    }
  }
}
