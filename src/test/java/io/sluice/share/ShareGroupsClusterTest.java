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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers: members that reach the cluster through different brokers are members of one share group (the
 * calls of the broker that does not keep share groups cross to the one that does), so no record is held by both.
 */
@Tag("several-brokers")
class ShareGroupsClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path firstDir;
  @TempDir
  static Path secondDir;
  static Broker first;
  static Broker second;
  static WebClient viaFirst;
  static WebClient viaSecond;

  @BeforeAll
  static void start() throws Exception {
    first = start(config(firstDir, 1, Map.of()));
    second = start(config(secondDir, 2, Map.of(BrokerConfig.ZOOKEEPER_CONNECT, first.zookeeperConnect())));
    viaFirst = TestClients.web(first.httpPort());
    viaSecond = TestClients.web(second.httpPort());
  }

  @AfterAll
  static void stop() throws Exception {
    viaFirst.close();
    viaSecond.close();
    TestBrokers.close(second);
    TestBrokers.close(first);
  }

  private static BrokerConfig config(Path dir, int id, Map<String, Object> extra) {
    Map<String, Object> cfg = new HashMap<>(Map.of(BrokerConfig.BROKER_ID, id, BrokerConfig.HTTP_INSTANCES, 1));
    cfg.putAll(extra);
    return TestBrokers.config(dir, cfg);
  }

  private static Broker start(BrokerConfig config) throws Exception {
    Broker b = Broker.builder(config).vertxOptions(BlockedThreadGuard::testOptions).listener(HttpListener::new)
        .start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(b.vertx());
    return b;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static String join(WebClient client) throws Exception {
    HttpResponse<Buffer> r = await(client.post("/share-groups/spread/members").sendJsonObject(new JsonObject()
        .put("topics", new JsonArray().add("spread")).put("share.auto.offset.reset", "earliest")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("member_id");
  }

  private static JsonArray fetch(WebClient client, String member, int max) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/share-groups/spread/members/" + member + "/records?max_records=" + max
        + "&timeout=1000").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }

  @Test
  void membersJoiningThroughDifferentBrokersShareOneGroup() throws Exception {
    HttpResponse<Buffer> created = await(viaSecond.post("/topics").sendJsonObject(new JsonObject()
        .put("name", "spread").put("partitions", 2).put("replication_factor", 2)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    for (int p = 0; p < 2; p++) {
      JsonArray batch = new JsonArray();
      for (int i = 0; i < 5; i++) {
        batch.add(new JsonObject().put("value", "v" + i));
      }
      HttpResponse<Buffer> produced = await(viaFirst.post("/topics/spread/partitions/" + p)
          .putHeader("Content-Type", "application/json").sendJsonObject(new JsonObject().put("records", batch)));
      assertThat(produced.statusCode()).as(produced.bodyAsString()).isEqualTo(200);
    }
    String a = join(viaSecond);
    String b = join(viaFirst);
    JsonArray ofA = fetch(viaSecond, a, 4);
    JsonArray ofB = fetch(viaFirst, b, 100);
    Set<String> held = new HashSet<>();
    for (JsonArray records : new JsonArray[] {ofA, ofB}) {
      records.forEach(o -> {
        JsonObject r = (JsonObject) o;
        assertThat(held.add(r.getInteger("partition") + "@" + r.getLong("offset"))).isTrue();
      });
    }
    assertThat(ofA).hasSize(4);
    assertThat(held).hasSize(10);
    JsonObject described = await(viaSecond.get("/share-groups/spread").send()).bodyAsJsonObject();
    assertThat(described.getJsonArray("members")).hasSize(2);
    HttpResponse<Buffer> unknown = await(viaSecond.get("/share-groups/spread/members/nobody/records").send());
    assertThat(unknown.statusCode()).isEqualTo(409);
    assertThat(unknown.bodyAsJsonObject().getInteger("error_code")).isEqualTo(25);
  }
}
