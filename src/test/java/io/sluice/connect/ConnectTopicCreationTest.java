package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.connect.ConnectTestSupport.Reply;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source connector's {@code topic.creation.*} (KIP-158) on a real broker whose {@code auto.create.topics.enable}
 * is off: the topics its tasks write to are created with their group's partitions and configs (exclude wins over
 * include, {@code default} takes the rest, -1 the broker's default), an existing topic is left as it is, and bad
 * settings are refused with Kafka Connect's messages.
 */
class ConnectTopicCreationTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final int BROKER_PARTITIONS = 3;

  @TempDir
  static Path dir;
  private static ConnectTestSupport connect;

  @BeforeAll
  static void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of(BrokerConfig.AUTO_CREATE_TOPICS_ENABLE,
        false, BrokerConfig.NUM_PARTITIONS, BROKER_PARTITIONS));
  }

  @AfterAll
  static void stop() throws Exception {
    connect.close();
  }

  /** Groups "compacted" (state-*, but not state-tmp-*) and "wide" (wide-*), and a default of 2 partitions. */
  private static JsonObject source(String topic) {
    return new JsonObject().put("connector.class", "LoadGenerator").put("topic", topic).put("max.records", 5)
        .put("topic.creation.groups", "compacted, wide")
        .put("topic.creation.default.replication.factor", -1).put("topic.creation.default.partitions", 2)
        .put("topic.creation.default.compression.type", "gzip")
        .put("topic.creation.compacted.include", "state-.*").put("topic.creation.compacted.exclude", "state-tmp-.*")
        .put("topic.creation.compacted.cleanup.policy", "compact")
        .put("topic.creation.wide.include", "wide-.*, other-wide").put("topic.creation.wide.partitions", -1)
        .put("topic.creation.wide.retention.ms", 123_456);
  }

  private static void awaitRecords(String topic, int partitions) {
    ConnectTestSupport.await(topic + "'s records", () -> {
      try {
        long records = 0;
        for (int p = 0; p < partitions; p++) {
          records += connect.get("/topics/" + topic + "/partitions/" + p + "/offsets").json().getLong("end_offset");
        }
        return records == 5;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private static int partitions(String topic) throws Exception {
    Reply r = connect.get("/topics/" + topic);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("partitions").size();
  }

  /** The topic's configs set on it (not the broker's defaults). */
  private static Map<String, Object> overrides(String topic) throws Exception {
    JsonObject out = new JsonObject();
    for (Object o : connect.get("/topics/" + topic + "/configs").json().getJsonArray("configs")) {
      JsonObject c = (JsonObject) o;
      if (!c.getBoolean("is_default")) {
        out.put(c.getString("name"), c.getString("value"));
      }
    }
    return out.getMap();
  }

  @Test
  void eachTopicIsCreatedWithTheSettingsOfItsGroup() throws Exception {
    connect.create("tc-state", source("state-orders"));
    connect.create("tc-tmp", source("state-tmp-orders"));
    connect.create("tc-wide", source("wide-events"));
    connect.create("tc-other", source("plain"));
    awaitRecords("state-orders", 2);
    awaitRecords("state-tmp-orders", 2);
    awaitRecords("wide-events", BROKER_PARTITIONS);
    awaitRecords("plain", 2);

    assertThat(partitions("state-orders")).isEqualTo(2); // the default's count: the group sets none
    assertThat(overrides("state-orders")).containsEntry("cleanup.policy", "compact")
        .doesNotContainKey("compression.type");
    assertThat(partitions("state-tmp-orders")).isEqualTo(2); // excluded from "compacted": the default group's
    assertThat(overrides("state-tmp-orders")).containsEntry("compression.type", "gzip")
        .doesNotContainKey("cleanup.policy");
    assertThat(partitions("wide-events")).isEqualTo(BROKER_PARTITIONS); // -1: the broker's num.partitions
    assertThat(overrides("wide-events")).containsEntry("retention.ms", "123456");
    assertThat(overrides("plain")).containsEntry("compression.type", "gzip");
  }

  @Test
  void anExistingTopicIsLeftAsItIs() throws Exception {
    connect.createTopic("state-existing");
    connect.create("tc-existing", source("state-existing"));
    awaitRecords("state-existing", 1);
    assertThat(partitions("state-existing")).isEqualTo(1);
    assertThat(overrides("state-existing")).doesNotContainKey("cleanup.policy");
  }

  @Test
  void withoutTopicCreationKeysAndAutoCreationOffTheTaskFails() throws Exception {
    connect.create("tc-none", new JsonObject().put("connector.class", "LoadGenerator").put("topic", "never-made")
        .put("max.records", 5));
    connect.awaitState("tc-none", 0, "FAILED");
    assertThat(connect.get("/topics/never-made").status()).isEqualTo(404);
  }

  private static List<String> errors(JsonObject validation, String key) {
    for (Object o : validation.getJsonArray("configs")) {
      JsonObject value = ((JsonObject) o).getJsonObject("value");
      if (value.getString("name").equals(key)) {
        return value.getJsonArray("errors").stream().map(Object::toString).toList();
      }
    }
    return null;
  }

  @Test
  void badSettingsAreListedByValidationAndRefusedAtCreation() throws Exception {
    JsonObject config = source("t").put("name", "tc-bad").put("topic.creation.default.partitions", 0)
        .put("topic.creation.default.replication.factor", 3).put("topic.creation.wide.exclude", "(unclosed")
        .put("topic.creation.compacted.cleanup.policy", "sometimes").put("topic.creation.wide.segment.colour", "red");
    Reply r = connect.send("PUT", "/connector-plugins/LoadGenerator/config/validate", config);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject v = r.json();
    assertThat(v.getInteger("error_count")).isEqualTo(5);
    assertThat(errors(v, "topic.creation.default.partitions")).singleElement().asString()
        .contains("Value must be -1 or at least 1");
    assertThat(errors(v, "topic.creation.default.replication.factor")).singleElement().asString()
        .contains("target replication factor of 3 cannot be reached because only 1 broker(s) are registered");
    assertThat(errors(v, "topic.creation.wide.exclude")).singleElement().asString().contains("(unclosed");
    assertThat(errors(v, "topic.creation.compacted.cleanup.policy")).singleElement().asString()
        .contains("sometimes");
    assertThat(errors(v, "topic.creation.wide.segment.colour")).singleElement().asString()
        .contains("Unknown topic configuration");
    assertThat(v.getJsonArray("groups")).contains("Topic Creation", "Topic Creation default");

    Reply refused = connect.send("POST", "/connectors", new JsonObject().put("name", "tc-bad").put("config", config));
    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    assertThat(refused.json().getInteger("error_code")).isEqualTo(10015);
    assertThat(refused.json().getString("message")).contains("topic.creation.default.partitions");
  }

  @Test
  void anyTopicCreationKeyRequiresTheDefaultGroupsCounts() throws Exception {
    JsonObject config = new JsonObject().put("connector.class", "LoadGenerator").put("topic", "t")
        .put("topic.creation.default.cleanup.policy", "compact");
    JsonObject v = connect.send("PUT", "/connector-plugins/LoadGenerator/config/validate", config).json();
    assertThat(errors(v, "topic.creation.default.replication.factor")).singleElement().asString()
        .isEqualTo("Missing required configuration \"topic.creation.default.replication.factor\" which has no default"
            + " value.");
    assertThat(errors(v, "topic.creation.default.partitions")).hasSize(1);
    JsonObject plain = connect.send("PUT", "/connector-plugins/LoadGenerator/config/validate", new JsonObject()
        .put("name", "tc-plain").put("connector.class", "LoadGenerator").put("topic", "t")).json();
    assertThat(plain.getInteger("error_count")).isZero();
    assertThat(plain.getJsonArray("configs").stream().map(o -> ((JsonObject) o).getJsonObject("value")
        .getString("name"))).noneMatch(n -> n.startsWith("topic.creation."));
  }

  @Test
  void aDuplicateGroupIsRefused() throws Exception {
    JsonObject v = connect.send("PUT", "/connector-plugins/LoadGenerator/config/validate", source("t")
        .put("topic.creation.groups", "wide,wide")).json();
    assertThat(errors(v, "topic.creation.groups")).singleElement().asString().contains("Duplicate alias provided.");
  }
}
