package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication factors of the topics Connect creates, on a cluster of two brokers: {@code topic.creation.*}'s is
 * refused at validation above the live brokers and kept at or below; a dead letter queue's {@code
 * errors.deadletterqueue.topic.replication.factor} above them fails the task naming it (as Kafka's worker), and at
 * or below is kept (it was capped to the live brokers, so an asked 3 silently became 2).
 */
@Tag("several-brokers")
class ConnectReplicationFactorClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dir;
  private InProcessCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private HttpResponse<Buffer> send(String method, String path, JsonObject body) throws Exception {
    var request = cluster.web(1).request(io.vertx.core.http.HttpMethod.valueOf(method), path);
    return (body == null ? request.send() : request.sendJsonObject(body)).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> create(String name, JsonObject config) throws Exception {
    return send("POST", "/connectors", new JsonObject().put("name", name).put("config", config));
  }

  /** The replica count of partition 0 of {@code topic}; 0 while it does not exist. */
  private int replicas(String topic) {
    try {
      HttpResponse<Buffer> r = send("GET", "/topics/" + topic, null);
      return r.statusCode() != 200 ? 0 : r.bodyAsJsonObject().getJsonArray("partitions").getJsonObject(0)
          .getJsonArray("replicas").size();
    } catch (Exception e) {
      return 0;
    }
  }

  private JsonObject task(String connector) {
    try {
      HttpResponse<Buffer> r = send("GET", "/connectors/" + connector + "/status", null);
      JsonArray tasks = r.statusCode() == 200 ? r.bodyAsJsonObject().getJsonArray("tasks") : new JsonArray();
      return tasks.isEmpty() ? new JsonObject() : tasks.getJsonObject(0);
    } catch (Exception e) {
      return new JsonObject();
    }
  }

  private JsonObject deadLettering(String dlq, Integer factor) {
    JsonObject config = new JsonObject().put("connector.class", FlakySinkConnector.class.getName())
        .put("run.id", dlq).put("topics", "raw")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("value.converter.schemas.enable", "false").put("errors.tolerance", "all")
        .put("task.restart.max.attempts", 0).put("errors.deadletterqueue.topic.name", dlq);
    return factor == null ? config : config.put("errors.deadletterqueue.topic.replication.factor", factor);
  }

  @Test
  void factorsAboveTheLiveBrokersAreRefusedAndOthersKept() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp().set(BrokerConfig.CONNECT_ENABLED, true).start(2);
    ConnectTestSupport.await("the connect worker", () -> {
      try {
        return "UP".equals(send("GET", "/health", null).bodyAsJsonObject().getJsonObject("services")
            .getString("connect"));
      } catch (Exception e) {
        return false;
      }
    }, InProcessCluster.WAIT_MS);

    JsonObject source = new JsonObject().put("connector.class", MeteredSourceConnector.class.getName())
        .put("topic", "created").put("records.max", 1).put("topic.creation.default.partitions", 1);
    HttpResponse<Buffer> refused = create("creating3", source.copy()
        .put("topic.creation.default.replication.factor", 3));
    assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(400);
    assertThat(refused.bodyAsString()).contains("only 2 broker(s)");
    HttpResponse<Buffer> kept = create("creating2", source.put("topic.creation.default.replication.factor", 2));
    assertThat(kept.statusCode()).as(kept.bodyAsString()).isEqualTo(201);
    ConnectTestSupport.await("the created topic", () -> replicas("created") > 0);
    assertThat(replicas("created")).isEqualTo(2);

    assertThat(send("POST", "/topics", new JsonObject().put("name", "raw").put("partitions", 1)
        .put("replication_factor", 1)).statusCode()).isEqualTo(201);
    JsonObject record = new JsonObject().put("partition", 0)
        .put("value", Base64.getEncoder().encodeToString("not json".getBytes(StandardCharsets.UTF_8)));
    HttpResponse<Buffer> produced = cluster.web(1).post("/topics/raw")
        .putHeader("Content-Type", "application/vnd.kafka.binary.v2+json")
        .sendJsonObject(new JsonObject().put("records", new JsonArray().add(record))).toCompletionStage()
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertThat(produced.statusCode()).as(produced.bodyAsString()).isEqualTo(200);

    assertThat(create("dlq3", deadLettering("raw-dlq3", 3)).statusCode()).isEqualTo(201);
    assertThat(create("dlq2", deadLettering("raw-dlq2", 2)).statusCode()).isEqualTo(201);
    assertThat(create("dlq-unset", deadLettering("raw-dlq-unset", null)).statusCode()).isEqualTo(201);
    ConnectTestSupport.await("dlq3's task to fail", () -> "FAILED".equals(task("dlq3").getString("state")));
    assertThat(task("dlq3").getString("trace"))
        .contains("errors.deadletterqueue.topic.replication.factor=3");
    assertThat(replicas("raw-dlq3")).as("not created with fewer replicas than asked").isZero();
    ConnectTestSupport.await("the dead letter queues", () -> replicas("raw-dlq2") > 0
        && replicas("raw-dlq-unset") > 0);
    assertThat(replicas("raw-dlq2")).isEqualTo(2);
    assertThat(replicas("raw-dlq-unset")).as("unset: 3 capped by the live brokers").isEqualTo(2);
  }
}
