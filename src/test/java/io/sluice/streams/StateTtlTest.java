package io.sluice.streams;

import static io.sluice.streams.StatefulStreamsTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.streams.BrokerHttp.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * State TTL on a real broker: an aggregation with {@code "ttl"} forgets a key once the stream time (record times,
 * never the wall clock) is the TTL past its last update, in its RocksDB store (queries answer 404, the next record
 * of the key starts afresh) and in its changelog (a tombstone, so a restore after a restart does not bring it back).
 */
class StateTtlTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long T = 1_800_000_000_000L;

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());

  @BeforeAll
  static void start() throws Exception {
    // the records' event times (T) lie in 2027, further ahead of the broker's clock than Kafka 4's default hour
    broker = StreamsBroker.start(dir, GUARD, Map.of(BrokerConfig.LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS, Long.MAX_VALUE));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void keysNotUpdatedForTheTtlInStreamTimeAreForgottenInTheStoreAndTheChangelogAndStayForgottenAfterARestoreSilentlyByDefault()
      throws Exception {
    HTTP.createTopic("logins", 1);
    HTTP.createTopic("logins-per-user", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "logins", "inputs": ["logins"], "key_format": "json", "value_format": "json",
         "steps": [{"group_by": "key"}, {"count": {"store": "recent", "ttl": "1m"}},
                   {"to": "logins-per-user"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("logins", new JsonArray().add(login("ann", 0)).add(login("bob", 1_000)).add(login("ann", 30_000))
        .add(login("cat", 59_000)));
    await("four counts", () -> HTTP.read("logins-per-user", 0).size() == 4);
    assertThat(value("ann")).isEqualTo(2);
    assertThat(value("bob")).isEqualTo(1);
    // stream time 61 s: bob (last update 1 s) is 60 s old and goes; ann (30 s) and cat (59 s) stay
    HTTP.produce("logins", new JsonArray().add(login("dan", 61_000)));
    await("bob forgotten", () -> status("bob") == 404);
    assertThat(value("ann")).isEqualTo(2);
    assertThat(value("cat")).isEqualTo(1);
    assertThat(changelog()).containsSubsequence("bob=1", "bob=null");
    // a late record of ann within her TTL keeps her; one at 120 s ends ann and cat
    HTTP.produce("logins", new JsonArray().add(login("ann", 45_000)).add(login("eve", 120_000)));
    await("ann and cat forgotten", () -> status("ann") == 404 && status("cat") == 404);
    assertThat(value("dan")).isEqualTo(1);

    assertThat(HTTP.send("POST", "/streams/logins/restart", null).status()).isEqualTo(200);
    await("the task restarted with its store restored", () -> {
      JsonObject t = task();
      // the first run restored nothing (its changelog was empty): records > 0 is the restarted run's status
      return t != null && "RUNNING".equals(t.getString("state")) && t.getJsonObject("restore") != null
          && "DONE".equals(t.getJsonObject("restore").getString("state"))
          && t.getJsonObject("restore").getLong("records") > 0;
    });
    // The restarted run's status is written once it serves queries; 503 (retry) would mean it does not yet.
    await("the restarted task serving queries", () -> status("bob") != 503);
    assertThat(status("bob")).isEqualTo(404);
    assertThat(status("ann")).isEqualTo(404);
    assertThat(value("eve")).isEqualTo(1);
    // the restored stream time (120 s) still drives expiry, and a forgotten key starts again from nothing
    HTTP.produce("logins", new JsonArray().add(login("bob", 121_000)).add(login("eve", 130_000))
        .add(login("eve", 180_000)));
    await("three more counts", () -> HTTP.read("logins-per-user", 0).size() == 10);
    List<JsonObject> out = HTTP.read("logins-per-user", 0);
    assertThat(out.get(7).getString("key") + "=" + out.get(7).getLong("value")).isEqualTo("bob=1");
    assertThat(out.get(9).getString("key") + "=" + out.get(9).getLong("value")).isEqualTo("eve=3");
    await("dan forgotten at stream time 180 s", () -> status("dan") == 404);
  }

  @Test
  void anExpiredKeyEmitsATombstoneDownstreamWhenAskedAndIsCounted() throws Exception {
    HTTP.createTopic("visits", 1);
    HTTP.createTopic("visits-per-user", 1);
    create("""
        {"name": "visits", "inputs": ["visits"], "key_format": "json", "value_format": "json",
         "steps": [{"group_by": "key"}, {"count": {"store": "recent", "ttl": "1m", "on_expiry": "tombstone"}},
                   {"to": "visits-per-user"}]}""");
    HTTP.produce("visits", new JsonArray().add(login("ann", 0)).add(login("bob", 1_000)).add(login("dan", 61_000)));
    // dan's record counts dan, then moves stream time to 61 s: ann (due at 60 s) and bob (61 s) expire, in that order
    await("three counts and two tombstones", () -> HTTP.read("visits-per-user", 0).size() == 5);
    List<JsonObject> out = HTTP.read("visits-per-user", 0);
    assertThat(out.subList(0, 3)).extracting(r -> r.getString("key") + "=" + r.getValue("value"))
        .containsExactly("ann=1", "bob=1", "dan=1");
    assertThat(out.subList(3, 5)).extracting(r -> r.getString("key") + "=" + r.getValue("value") + "@"
        + (r.getLong("timestamp") - T) + " last " + (Long.parseLong(StatefulStreamsTest.header(r,
        "sluice.streams.expired")) - T)).containsExactly("ann=null@60000 last 0", "bob=null@61000 last 1000");
    await("the status counting two expired entries", () -> task("visits").getLong("expired_entries", 0L) == 2);
    assertThat(io.sluice.client.StreamDescription.fromJson(HTTP.send("GET", "/streams/visits", null).json())
        .tasks().get(0).expiredEntries()).isEqualTo(2);
    await("the task's meter counting them", () -> HTTP.send("GET", "/metrics", null, "text/plain").body()
        .contains("sluice_stream_task_expired_total{partition=\"0\",stream=\"visits\",topic=\"visits\"} 2.0"));
  }

  @Test
  void queriesNeverAnswerADueKeyThatNoRecordHasDeletedYet() throws Exception {
    HTTP.createTopic("pings", 1);
    HTTP.createTopic("pings-per-host", 1);
    create("""
        {"name": "pings", "inputs": ["pings"], "key_format": "json", "value_format": "json",
         "steps": [{"group_by": "key"}, {"count": {"store": "seen", "ttl": "1m", "on_expiry": "tombstone"}},
                   {"to": "pings-per-host"}]}""");
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 300; i++) {
      batch.add(login(String.format("h%03d", i), i));
    }
    HTTP.produce("pings", batch);
    await("300 counts", () -> HTTP.read("pings-per-host", 0).size() == 300);
    assertThat(status("pings", "seen", "h299")).isEqualTo(200);
    // All 300 are due at stream time 60.3 s, but one record deletes at most a quarter of
    // streams.max.outputs.per.record (250): h250..h299 stay in the store until the next record.
    HTTP.produce("pings", new JsonArray().add(login("z", 60_300)));
    await("the first 250 expired", () -> task("pings").getLong("expired_entries", 0L) == 250);
    assertThat(HTTP.read("pings-per-host", 0)).hasSize(300 + 1 + 250);
    assertThat(status("pings", "seen", "h299")).isEqualTo(404);
    assertThat(status("pings", "seen", "h250")).isEqualTo(404);
    assertThat(status("pings", "seen", "z")).isEqualTo(200);
    Reply scan = HTTP.send("GET", "/streams/pings/stores/seen/keys?limit=1000", null);
    assertThat(scan.status()).as(scan.body()).isEqualTo(200);
    assertThat(scan.json().getJsonArray("entries")).extracting(e -> ((JsonObject) e).getValue("key"))
        .containsExactly("z");
    HTTP.produce("pings", new JsonArray().add(login("z", 60_301)));
    await("the other 50 expired", () -> task("pings").getLong("expired_entries", 0L) == 300);
  }

  @Test
  void aNewVersionWithAShorterTtlAppliesItToTheEntriesAlreadyStored() throws Exception {
    HTTP.createTopic("carts", 1);
    HTTP.createTopic("carts-total", 1);
    String def = """
        {"name": "carts", "inputs": ["carts"], "key_format": "json", "value_format": "json",
         "steps": [{"group_by": "key"}, {"count": {"store": "open", "ttl": "TTL", "on_expiry": "tombstone"}},
                   {"to": "carts-total"}]}""";
    create(def.replace("TTL", "1h"));
    HTTP.produce("carts", new JsonArray().add(login("a", 0)).add(login("b", 30_000)).add(login("c", 50_000)));
    await("three counts", () -> HTTP.read("carts-total", 0).size() == 3);
    Reply put = HTTP.send("PUT", "/streams/carts", new JsonObject(def.replace("TTL", "15s")));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    await("version 2 running with its store restored", () -> {
      JsonObject t = task("carts");
      return t.getLong("version") == 2 && "RUNNING".equals(t.getString("state"))
          && t.getJsonObject("restore") != null && "DONE".equals(t.getJsonObject("restore").getString("state"))
          && status("carts", "open", "c") == 200;
    });
    // restored stream time 50 s: under the new 15 s, a (due 15 s) and b (45 s) have expired already; c (65 s) not
    assertThat(status("carts", "open", "a")).isEqualTo(404);
    assertThat(status("carts", "open", "b")).isEqualTo(404);
    HTTP.produce("carts", new JsonArray().add(login("d", 50_001)));
    await("a and b tombstoned", () -> HTTP.read("carts-total", 0).size() == 6);
    assertThat(HTTP.read("carts-total", 0).subList(3, 6)).extracting(r -> r.getString("key") + "=" + r.getValue("value"))
        .containsExactly("d=1", "a=null", "b=null");
  }

  @Test
  void aTtlOnAWindowedOrWithABadDurationIsA400() throws Exception {
    Reply windowed = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "bad", "inputs": ["i"], "steps": [{"group_by": "key"}, {"window": {"tumbling": "1m"}},
          {"count": {"ttl": "1h"}}, {"to": "o"}]}"""));
    assertThat(windowed.status()).as(windowed.body()).isEqualTo(400);
    assertThat(windowed.json().getString("message")).contains("steps[2].count.ttl").contains("retention");
    Reply bad = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "bad", "inputs": ["i"], "steps": [{"group_by": "key"}, {"sum": {"value": "1", "ttl": "soon"}},
          {"to": "o"}]}"""));
    assertThat(bad.status()).as(bad.body()).isEqualTo(400);
    assertThat(bad.json().getString("message")).contains("steps[1].sum.ttl").contains("not a duration");
    Reply badExpiry = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "bad", "inputs": ["i"], "steps": [{"group_by": "key"}, {"count": {"ttl": "1h", "on_expiry": "x"}},
          {"to": "o"}]}"""));
    assertThat(badExpiry.status()).as(badExpiry.body()).isEqualTo(400);
    assertThat(badExpiry.json().getString("message")).contains("steps[1].count.on_expiry")
        .contains("silent or tombstone");
    Reply noTtl = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "bad", "inputs": ["i"], "steps": [{"group_by": "key"}, {"count": {"on_expiry": "silent"}},
          {"to": "o"}]}"""));
    assertThat(noTtl.status()).as(noTtl.body()).isEqualTo(400);
    assertThat(noTtl.json().getString("message")).contains("steps[1].count.on_expiry").contains("only with a ttl");
  }

  @Test
  void theJavaClientBuildsATtl() {
    io.sluice.client.StreamDefinition built = io.sluice.client.StreamDefinition.builder("logins")
        .inputs("logins").groupByKey()
        .count(io.sluice.client.StreamDefinition.Aggregation.defaults().store("recent").ttl(Duration.ofMinutes(1))
            .silentExpiry())
        .to("logins-per-user").build();
    assertThat(built.toJson().getJsonArray("steps").getJsonObject(1)).isEqualTo(new JsonObject().put("count",
        new JsonObject().put("store", "recent").put("ttl", 60_000L).put("on_expiry", "silent")));
    io.sluice.client.StreamDefinition tombstones = io.sluice.client.StreamDefinition.builder("logins")
        .inputs("logins").groupByKey()
        .count(io.sluice.client.StreamDefinition.Aggregation.defaults().ttl(Duration.ofMinutes(1)).tombstoneOnExpiry())
        .to("logins-per-user").build();
    assertThat(tombstones.toJson().getJsonArray("steps").getJsonObject(1)).isEqualTo(new JsonObject().put("count",
        new JsonObject().put("ttl", 60_000L).put("on_expiry", "tombstone")));
  }

  private static JsonObject login(String user, long at) {
    return new JsonObject().put("key", user).put("timestamp", T + at).put("value", new JsonObject());
  }

  private static int status(String key) throws Exception {
    return status("logins", "recent", key);
  }

  private static int status(String stream, String store, String key) throws Exception {
    return HTTP.send("GET", "/streams/" + stream + "/stores/" + store + "/keys/" + key, null).status();
  }

  private static void create(String definition) throws Exception {
    Reply created = HTTP.send("POST", "/streams", new JsonObject(definition));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
  }

  /** The first task of {@code stream} (an empty object before it has one). */
  private static JsonObject task(String stream) throws Exception {
    JsonArray tasks = HTTP.send("GET", "/streams/" + stream, null).json().getJsonArray("tasks", new JsonArray());
    return tasks.isEmpty() ? new JsonObject() : tasks.getJsonObject(0);
  }

  private static long value(String key) throws Exception {
    Reply r = HTTP.send("GET", "/streams/logins/stores/recent/keys/" + key, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getLong("value");
  }

  private static JsonObject task() throws Exception {
    JsonArray tasks = HTTP.send("GET", "/streams/logins", null).json().getJsonArray("tasks", new JsonArray());
    return tasks.isEmpty() ? null : tasks.getJsonObject(0);
  }

  /** The changelog's records as "user=count" ("user=null" for a tombstone), in order. */
  private static List<String> changelog() throws Exception {
    List<String> out = new ArrayList<>();
    JsonArray all = new JsonArray();
    while (true) {
      HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + broker.httpPort() + "/topics/logins-recent-changelog/partitions/0/records?offset="
          + (all.isEmpty() ? 0 : all.getJsonObject(all.size() - 1).getLong("offset") + 1)))
          .header("Accept", "application/vnd.kafka.binary.v2+json").GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      JsonArray a = new JsonArray(page.body());
      if (a.isEmpty()) {
        break;
      }
      all.addAll(a);
    }
    for (Object o : all) {
      JsonObject rec = (JsonObject) o;
      if (rec.getString("key") == null) {
        continue; // a compaction bound marker
      }
      String key = text(rec.getString("key")).substring(1).replace("\"", ""); // store key: 'K' and the JSON key
      String value = rec.getString("value");
      out.add(key + "=" + (value == null ? null : new JsonObject(text(value)).getValue("a")));
    }
    return out;
  }

  private static String text(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }
}
