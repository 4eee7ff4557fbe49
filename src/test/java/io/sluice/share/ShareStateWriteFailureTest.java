package io.sluice.share;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Acks;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.HttpListener;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keeper's state never runs ahead of {@code __share_group_state}: an acknowledgement whose state write fails is
 * answered as failed, the groups in memory are dropped, and the next call loads them from the topic, where the record
 * is still held by its member (kept), which can acknowledge it again.
 */
class ShareStateWriteFailureTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final TopicPartition TASKS = new TopicPartition("tasks", 0);

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient web;
  private WorkerExecutor pool;
  private volatile boolean writesFail;

  @BeforeEach
  void start() throws Exception {
    broker = Broker.builder(TestBrokers.config(dataDir, Map.of(BrokerConfig.SHARE_RECORD_LOCK_DURATION_MS, 600_000L)))
        .vertxOptions(BlockedThreadGuard::testOptions).listener(HttpListener::new).start()
        .await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    web = TestClients.web(broker.httpPort());
    pool = broker.vertx().createSharedWorkerExecutor("share-test", 1);
  }

  @AfterEach
  void stop() throws Exception {
    web.close();
    pool.close();
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /** The keeper's share groups, over a broker service whose state writes fail while {@link #writesFail}. */
  private ShareGroups groups() {
    DelegatingBrokerService failing = new DelegatingBrokerService(broker.service()) {
      @Override
      public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
          Acks acks, int leaderEpoch) {
        return writesFail ? Future.failedFuture(new SluiceException(ErrorCode.NOT_ENOUGH_REPLICAS, "test: refused"))
            : super.produceAtLeaderEpoch(caller, tp, batches, acks, leaderEpoch);
      }
    };
    return new ShareGroups(((VertxInternal) broker.vertx()).createEventLoopContext(), failing,
        new ShareReads(failing, pool), new ShareStateTopic(failing, pool), broker.config().brokerId(),
        ShareGroupsService.settings(broker.config()), System::currentTimeMillis,
        () -> ShareStateTopic.keeper(failing));
  }

  @Test
  void aFailedWriteIsNotAnsweredAndTheNextCallLoadsTheDurableState() throws Exception {
    assertThat(await(web.post("/topics").sendJsonObject(new JsonObject().put("name", "tasks")
        .put("partitions", 1))).statusCode()).isEqualTo(201);
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 3; i++) {
      batch.add(new JsonObject().put("value", "t" + i));
    }
    HttpResponse<Buffer> produced = await(web.post("/topics/tasks/partitions/0").sendJsonObject(
        new JsonObject().put("records", batch)));
    assertThat(produced.statusCode()).as(produced.bodyAsString()).isEqualTo(200);
    ShareGroups groups = groups();
    String member = await(groups.join("g", List.of("tasks"), 0, true));
    assertThat(await(groups.fetch("g", member, 100, 0))).hasSize(3);

    writesFail = true;
    List<Ack> accept = List.of(new Ack(TASKS, 0, SharePartition.AckType.ACCEPT));
    assertThatThrownBy(() -> await(groups.acknowledge("g", member, accept))).isInstanceOf(SluiceException.class)
        .extracting(t -> ((SluiceException) t).errorCode()).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    writesFail = false;

    // Loaded again from the topic: offset 0 is not ACKNOWLEDGED (the write failed), still held by the kept member.
    ShareGroupDescription d = await(groups.describe("g"));
    assertThat(d.members()).extracting(ShareGroupDescription.MemberView::memberId).containsExactly(member);
    assertThat(d.partitions()).singleElement().satisfies(p -> {
      assertThat(p.startOffset()).isZero();
      assertThat(p.inFlight()).containsEntry("ACQUIRED", 3).containsEntry("ACKNOWLEDGED", 0);
    });
    assertThat(await(groups.acknowledge("g", member, accept))).containsExactly((AckOutcome) null);
    assertThat(await(groups.describe("g")).partitions().get(0).startOffset()).isEqualTo(1);
  }
}
