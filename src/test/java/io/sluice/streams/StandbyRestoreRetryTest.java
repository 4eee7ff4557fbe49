package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.OffsetRange;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.streams.BrokerHttp.Reply;
import io.sluice.streams.state.RocksKv;
import io.sluice.streams.state.StateMemory;
import io.sluice.streams.state.StoreState;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task that starts right after a failover, with a standby's store handed over, while its changelog's leader is
 * not elected yet: the restore retries the changelog's reads instead of failing the task, so the standby's store is
 * used and not thrown away (StandbyClusterIT saw the task restart and restore everything when it lost this race).
 */
class StandbyRestoreRetryTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());

  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void aTaskWhoseChangelogLeaderIsNotYetElectedRestoresFromTheHandedOverStandby() throws Exception {
    HTTP.createTopic("orders", 1);
    HTTP.createTopic("sums", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "sums", "inputs": ["orders"], "value_format": "json",
         "steps": [{"group_by": "key"}, {"sum": "value.amount"}, {"to": "sums"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("orders", new JsonArray().add(order("a", 10)).add(order("b", 5)).add(order("a", 7)));
    StatefulStreamsTest.await("three sums", () -> HTTP.read("sums", 0).size() == 3);
    // The broker's own scheduler lets the task go; this test runs it, as a new leader's scheduler would.
    assertThat(HTTP.send("POST", "/streams/sums/pause", null).status()).isEqualTo(200);
    StreamStore store = StreamsBroker.store(broker);
    StatefulStreamsTest.await("the task released", () -> store.owner("sums", "orders-0") < 0);

    StreamStore.Stored stored = store.get("sums");
    StreamDefinition def = new DefinitionParser(new Expressions(10_000, 10_000), new StreamDefinition.Limits(100, 100))
        .parse(stored.definition(), "sums");
    TopicPartition changelog = new TopicPartition(def.changelogTopic(), 0);
    LeaderElectedLate cluster = new LeaderElectedLate(broker.service(), changelog.topic());
    WorkerExecutor pool = broker.vertx().createSharedWorkerExecutor("standby-retry-test", 2);
    StateMemory memory = new StateMemory(16 << 20);
    TaskDeps deps = new TaskDeps(broker.brokerId(), cluster, ((VertxInternal) broker.vertx()).createEventLoopContext(),
        pool, store, 100, 100, 8 << 20, new SimpleMeterRegistry(), dir.resolve("task-state"), memory);
    long storesFrom = TaskState.from(store.task("sums", "orders-0")).storesFrom.get(changelog);
    StandbyTask.Handover handover = new StandbyTask.Handover(
        new StoreState(def.store(), RocksKv.openEmpty(dir.resolve("standby"), memory)), storesFrom);
    assertThat(store.claim("sums", "orders-0", broker.brokerId())).isTrue();

    StreamTask task = new StreamTask(deps, "sums", stored.version(), def, new TopicPartition("orders", 0))
        .withStandby(handover);
    Future<Void> ended = task.run(0);
    StatefulStreamsTest.await("the restore done", () -> ended.isComplete() || task.state().restore != null
        && "DONE".equals(task.state().restore.getString("state")) && "RUNNING".equals(task.state().state));
    assertThat(ended.isComplete()).as("the task ended: %s", ended.cause()).isFalse();
    assertThat(cluster.refused.get()).as("reads of the changelog refused").isEqualTo(3);
    assertThat(task.state().restore.getBoolean("standby")).isTrue();

    HTTP.produce("orders", new JsonArray().add(order("a", 1)));
    StatefulStreamsTest.await("the fourth sum", () -> HTTP.read("sums", 0).size() == 4);
    List<JsonObject> out = HTTP.read("sums", 0);
    assertThat(out.get(3).getString("key") + "=" + out.get(3).getLong("value")).isEqualTo("a=18");
    task.stop().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    store.release("sums", "orders-0");
    pool.close();
  }

  private static JsonObject order(String key, long amount) {
    return new JsonObject().put("key", key).put("value", new JsonObject().put("amount", amount));
  }

  /** The broker's service, refusing the first two offsets and the first fetch of one topic as a leaderless one. */
  private static final class LeaderElectedLate extends DelegatingBrokerService {
    private final String topic;
    private final AtomicInteger offsets = new AtomicInteger();
    private final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();

    LeaderElectedLate(io.sluice.api.BrokerService delegate, String topic) {
      super(delegate);
      this.topic = topic;
    }

    @Override
    public Future<OffsetRange> offsets(RequestContext caller, TopicPartition tp) {
      return tp.topic().equals(topic) && offsets.incrementAndGet() <= 2 ? refuse(tp) : super.offsets(caller, tp);
    }

    @Override
    public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
      return request.tp().topic().equals(topic) && fetches.incrementAndGet() == 1 ? refuse(request.tp())
          : super.fetch(caller, request);
    }

    private <T> Future<T> refuse(TopicPartition tp) {
      refused.incrementAndGet();
      return Future.failedFuture(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, tp + " has no leader yet"));
    }
  }
}
