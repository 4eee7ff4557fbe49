package io.sluice.share;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One broker restarted on its data keeps its share groups' progress ({@code __share_group_state}): accepted records
 * stay done, members stay with what they hold, and what a member held comes back with its delivery count as it
 * leaves; clients cannot write the state topic.
 */
class ShareStateRestartTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;

  @AfterEach
  void stop() throws Exception {
    close();
  }

  private void start() throws Exception {
    broker = Broker.builder(TestBrokers.config(dataDir, Map.of(BrokerConfig.SHARE_RECORD_LOCK_DURATION_MS, 600_000L)))
        .vertxOptions(BlockedThreadGuard::testOptions).listener(HttpListener::new).start()
        .await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = TestClients.web(broker.httpPort());
  }

  private void close() throws Exception {
    if (client != null) {
      client.close();
      client = null;
    }
    if (broker != null) {
      TestBrokers.close(broker);
      broker = null;
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private String join() throws Exception {
    HttpResponse<Buffer> r = await(client.post("/share-groups/kept/members").sendJsonObject(new JsonObject()
        .put("topics", new JsonArray().add("tasks")).put("share.auto.offset.reset", "earliest")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("member_id");
  }

  private JsonArray fetch(String member) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/share-groups/kept/members/" + member
        + "/records?max_records=100&timeout=2000").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }

  @Test
  void aRestartKeepsAcceptedRecordsDoneAndRedeliversTheRestWithTheirCounts() throws Exception {
    start();
    assertThat(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "tasks")
        .put("partitions", 1))).statusCode()).isEqualTo(201);
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 4; i++) {
      batch.add(new JsonObject().put("value", "task" + i));
    }
    assertThat(await(client.post("/topics/tasks/partitions/0").putHeader("Content-Type", "application/json")
        .sendJsonObject(new JsonObject().put("records", batch))).statusCode()).isEqualTo(200);
    String member = join();
    assertThat(fetch(member)).hasSize(4);
    JsonArray acks = new JsonArray()
        .add(new JsonObject().put("topic", "tasks").put("partition", 0).put("offset", 0).put("type", "ACCEPT"))
        .add(new JsonObject().put("topic", "tasks").put("partition", 0).put("offset", 1).put("type", "ACCEPT"));
    assertThat(await(client.post("/share-groups/kept/members/" + member + "/acknowledgements")
        .sendJsonObject(new JsonObject().put("acknowledgements", acks))).statusCode()).isEqualTo(200);

    close();
    start();

    // The member is kept across the restart, holding 2 and 3: as it leaves, they go back to the group.
    HttpResponse<Buffer> left = await(client.delete("/share-groups/kept/members/" + member).send());
    assertThat(left.statusCode()).as(left.bodyAsString()).isEqualTo(204);
    List<Long> offsets = new ArrayList<>();
    fetch(join()).forEach(o -> {
      JsonObject r = (JsonObject) o;
      offsets.add(r.getLong("offset"));
      assertThat(r.getInteger("delivery_count")).as(r.encode()).isEqualTo(2);
    });
    assertThat(offsets).containsExactly(2L, 3L);
    JsonObject described = await(client.get("/share-groups/kept").send()).bodyAsJsonObject();
    assertThat(described.getJsonArray("partitions").getJsonObject(0).getLong("start_offset")).isEqualTo(2);
  }

  @Test
  void clientsCannotProduceToTheStateTopic() throws Exception {
    start();
    assertThat(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "tasks")
        .put("partitions", 1))).statusCode()).isEqualTo(201);
    join();
    HttpResponse<Buffer> r = await(client.post("/topics/__share_group_state/partitions/0")
        .putHeader("Content-Type", "application/json").sendJsonObject(new JsonObject()
            .put("records", new JsonArray().add(new JsonObject().put("value", "forged")))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isBetween(400, 499);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).isEqualTo(17);
    HttpResponse<Buffer> deleted = await(client.delete("/topics/__share_group_state").send());
    assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isBetween(400, 499);
  }
}
