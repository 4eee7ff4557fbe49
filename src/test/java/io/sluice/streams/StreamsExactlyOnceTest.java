package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a running stream task's delivery promises on a real broker: a dead owner's write that lands late is not
 * written twice (the exactly-once window), the definitions limit holds when creates race, and a running task routes
 * to output partitions added while it runs.
 */
class StreamsExactlyOnceTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  static Path dir;
  private static Broker broker;
  private static StreamStore store;

  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of());
    store = StreamsBroker.store(broker);
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static HttpResponse<String> send(String method, String path, Object body, String type) throws Exception {
    HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString());
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", type).header("Accept", JSON_V2)
        .method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void ok(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
  }

  private static void createTopic(String name, int partitions) throws Exception {
    ok(send("POST", "/topics", new JsonObject().put("name", name).put("partitions", partitions)
        .put("replication_factor", 1), "application/json"), 201);
  }

  private static void produce(String topic, int partition, JsonArray records) throws Exception {
    ok(send("POST", "/topics/" + topic + "/partitions/" + partition, new JsonObject().put("records", records),
        JSON_V2), 200);
  }

  private static List<JsonObject> read(String topic, int partition) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    while (true) {
      HttpResponse<String> r = send("GET", "/topics/" + topic + "/partitions/" + partition + "/records?offset="
          + out.size(), null, "application/json");
      ok(r, 200);
      JsonArray a = new JsonArray(r.body());
      if (a.isEmpty()) {
        return out;
      }
      a.forEach(o -> out.add((JsonObject) o));
    }
  }

  private static int count(String topic, int partition) {
    try {
      return read(topic, partition).size();
    } catch (Exception e) {
      return -1;
    }
  }

  private static JsonArray values(int from, int to) {
    JsonArray records = new JsonArray();
    for (int i = from; i < to; i++) {
      records.add(new JsonObject().put("value", new JsonObject().put("i", i)));
    }
    return records;
  }

  /** The output the stream below makes of input offset {@code o}, as its task's writer hands it over. */
  private static TaskWriter.Out output(long o) {
    return new TaskWriter.Out(o << 16, new Processor.Output("eo-out", 0, null,
        new JsonObject().put("o", o).encode().getBytes(), List.of(), 0));
  }

  @Test
  void aDeadOwnersWriteLandingAfterItsSuccessorsWritesIsNotWrittenAgain() throws Exception {
    createTopic("eo-in", 1);
    createTopic("eo-out", 1);
    ok(send("POST", "/streams", new JsonObject("""
        {"name": "eo", "inputs": ["eo-in"], "value_format": "json", "guarantee": "exactly_once",
         "steps": [{"map": {"value": "{'o': offset}"}}, {"to": "eo-out"}]}"""), "application/json"), 201);
    produce("eo-in", 0, values(0, 5));
    await("five outputs").atMost(Duration.ofMinutes(1)).until(() -> count("eo-out", 0) == 5);
    // The task's earlier owner, dead now, had the outputs of inputs 3 and 4 in flight to the output's leader; they
    // arrive only now, after its successor (the running task) wrote them: the leader must not write them again.
    String taskId = "eo/eo-in/0";
    long producerId = TaskWriter.producerId(store.get("eo").incarnation(), taskId);
    TaskWriter deadOwner = new TaskWriter(broker.vertx(), broker.service(), RequestContext.internal(broker.brokerId()),
        taskId, producerId);
    TopicPartition out = new TopicPartition("eo-out", 0);
    deadOwner.write(out, List.of(output(3), output(4))).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    assertThat(count("eo-out", 0)).isEqualTo(5);
    // The other order: the dead owner's write of input 5 lands before the running task processes input 5.
    deadOwner.write(out, List.of(output(5))).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    produce("eo-in", 0, values(5, 8));
    await("eight outputs").atMost(Duration.ofMinutes(1))
        .until(() -> count("eo-out", 0) >= 8 && status("eo").getLong("records_in") == 8);
    List<Long> offsets = read("eo-out", 0).stream().map(r -> r.getJsonObject("value").getLong("o")).toList();
    assertThat(offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
  }

  @Test
  void aWriteAnsweredWithARetriableErrorIsSentAgainAndWrittenOnce() throws Exception {
    createTopic("eo-retry", 1);
    TopicPartition out = new TopicPartition("eo-retry", 0);
    // The leader writes the first try, then its answer is lost to a failover (written, not acknowledged); the
    // second try is refused as leaderless; the third meets the new leader, which must not write it again.
    AtomicInteger tries = new AtomicInteger();
    BrokerService flaky = new DelegatingBrokerService(broker.service()) {
      @Override
      public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
        int n = tries.incrementAndGet();
        if (n == 1) {
          return super.produce(caller, tp, batches, acks).compose(r -> Future.failedFuture(
              new SluiceException(ErrorCode.REQUEST_TIMED_OUT, "the answer was lost")));
        }
        return n == 2 ? Future.failedFuture(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, tp + " no leader"))
            : super.produce(caller, tp, batches, acks);
      }
    };
    TaskWriter writer = new TaskWriter(broker.vertx(), flaky, RequestContext.internal(broker.brokerId()),
        "eo-retry/in/0", TaskWriter.producerId(1, "eo-retry/in/0"));
    writer.write(out, List.of(output(0), output(1))).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    assertThat(tries.get()).isEqualTo(3);
    assertThat(count("eo-retry", 0)).isEqualTo(2);
  }

  @Test
  void aWriteRefusedForGoodFailsAtOnce() {
    TopicPartition out = new TopicPartition("eo-refused", 0);
    AtomicInteger tries = new AtomicInteger();
    BrokerService refusing = new DelegatingBrokerService(broker.service()) {
      @Override
      public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
        tries.incrementAndGet();
        return Future.failedFuture(new SluiceException(ErrorCode.MESSAGE_TOO_LARGE, "too large"));
      }
    };
    TaskWriter writer = new TaskWriter(broker.vertx(), refusing, RequestContext.internal(broker.brokerId()),
        "eo-refused/in/0", -1);
    assertThatThrownBy(() -> writer.write(out, List.of(output(0))).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS)).hasRootCauseMessage("too large");
    assertThat(tries.get()).isEqualTo(1);
  }

  private static JsonObject status(String stream) {
    try {
      return new JsonObject(send("GET", "/streams/" + stream, null, "application/json").body())
          .getJsonArray("tasks").getJsonObject(0);
    } catch (Exception e) {
      return new JsonObject().put("records_in", -1L);
    }
  }

  @Test
  void racingCreatesNeverExceedTheDefinitionsLimit() throws Exception {
    JsonObject def = new JsonObject().put("inputs", new JsonArray().add("x")).put("steps", new JsonArray());
    int limit = store.names().size() + 1;
    StreamStore racer = new StreamStore(((ZookeeperClusterManager) ((VertxInternal) broker.vertx())
        .clusterManager()).getCuratorFramework().usingNamespace("sluice"));
    boolean[] raced = {false};
    store.afterCountForTests(() -> {
      if (!raced[0]) {
        raced[0] = true; // once: the other create wins between this one's count and its write
        try {
          racer.create("race-b", def, limit);
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
    });
    try {
      assertThatThrownBy(() -> store.create("race-a", def, limit)).isInstanceOf(SluiceException.class)
          .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.STREAM_LIMIT_EXCEEDED));
    } finally {
      store.afterCountForTests(() -> { });
    }
    assertThat(raced[0]).isTrue();
    assertThat(store.names()).contains("race-b").doesNotContain("race-a").hasSize(limit);
    store.delete("race-b");
  }

  @Test
  void aRunningTaskRoutesToOutputPartitionsAddedWhileItRuns() throws Exception {
    createTopic("grow-in", 1);
    createTopic("grow-out", 1);
    ok(send("POST", "/streams", new JsonObject("""
        {"name": "grow", "inputs": ["grow-in"], "value_format": "json",
         "steps": [{"map": {"key": "string(value.i)"}}, {"to": "grow-out"}]}"""), "application/json"), 201);
    produce("grow-in", 0, values(0, 10));
    await("ten outputs").atMost(Duration.ofMinutes(1)).until(() -> count("grow-out", 0) == 10);
    ok(send("POST", "/topics/grow-out/partitions", new JsonObject().put("count", 3), "application/json"), 200);
    // keys spread over the three partitions by the broker's partitioner once the task takes the new count (at its
    // next checkpoint): inputs go on until the new partitions get outputs
    int[] produced = {10};
    await("the new partitions get outputs").atMost(Duration.ofMinutes(1))
        .until(() -> {
      try {
        produce("grow-in", 0, values(produced[0], produced[0] + 10));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      produced[0] += 10;
      return count("grow-out", 1) > 0 && count("grow-out", 2) > 0;
    });
    await("every output").atMost(Duration.ofMinutes(1))
        .until(() -> count("grow-out", 0) + count("grow-out", 1) + count("grow-out", 2) == produced[0]);
    JsonObject task = status("grow");
    assertThat(task.getLong("restarts")).isZero();
  }
}
