package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.JoinGroupResult;
import io.sluice.api.NewTopic;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.GroupConfig;
import io.sluice.group.GroupCoordinator;
import io.sluice.group.LocalGroupService;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A static member's takeover (a new member id under a held group.instance.id, without a rebalance) whose group record
 * cannot be written: the takeover is undone and the joining member is answered the write's error as Kafka's
 * GroupMetadataManager maps it (before, it was unknown after the undo, and a consumer instance's poll answered empty).
 * The write is failed through a broker seam.
 */
class StaticTakeoverWriteFailureTest {
  private static final long WAIT_MS = 30_000;
  private static final RequestContext CALLER = RequestContext.SELF;

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private FailingWrites broker;
  private GroupCoordinator coordinator;
  private LocalGroupService groups;

  @BeforeEach
  void start() throws Exception {
    InMemoryBroker memory = new InMemoryBroker(vertx, dir);
    await(memory.createTopic(CALLER, new NewTopic("t", 2, 1, Map.of())));
    broker = new FailingWrites(memory);
    coordinator = new GroupCoordinator(vertx, broker, GroupConfig.defaults(), System::currentTimeMillis);
    groups = new LocalGroupService(coordinator);
    await(coordinator.start());
  }

  @AfterEach
  void close() throws Exception {
    coordinator.close().await(WAIT_MS, TimeUnit.MILLISECONDS);
    vertx.close().await(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  @ParameterizedTest
  @CsvSource({"NOT_LEADER_OR_FOLLOWER, NOT_COORDINATOR", "NOT_ENOUGH_REPLICAS, COORDINATOR_NOT_AVAILABLE",
      "REQUEST_TIMED_OUT, REBALANCE_IN_PROGRESS", "MESSAGE_TOO_LARGE, UNKNOWN_SERVER_ERROR"})
  void aTakeoverWhoseRecordIsNotWrittenIsUndoneAndAnsweredTheWritesError(ErrorCode written, ErrorCode answered)
      throws Exception {
    JoinGroupResult first = await(groups.join(CALLER, join("")));
    broker.failing = written;

    Throwable t = await(groups.join(CALLER, join("")).transform(ar -> Future.succeededFuture(ar.cause())));

    assertThat(t).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) t).errorCode()).as(String.valueOf(t)).isEqualTo(answered);
    String holder = await(coordinator.run("g", () -> Future.succeededFuture(coordinator.group("g")
        .staticHolder("i1").orElseThrow().memberId())));
    assertThat(holder).as("the replaced member holds its place again").isEqualTo(first.memberId());
    broker.failing = null;
    JoinGroupResult again = await(groups.join(CALLER, join("")));
    assertThat(again.memberId()).isNotEqualTo(first.memberId());
  }

  private static JoinGroupRequest join(String memberId) {
    return JoinGroupRequest.serverAssigned("g", memberId, "c", 10_000, "range", Subscription.ofTopics(List.of("t")))
        .withGroupInstanceId("i1");
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  /** Fails every write to the offsets topic with {@link #failing} while it is set. */
  private static final class FailingWrites extends DelegatingBrokerService {
    volatile ErrorCode failing;

    FailingWrites(InMemoryBroker delegate) {
      super(delegate);
    }

    @Override
    public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
      ErrorCode code = failing;
      if (code != null && tp.topic().equals(OffsetsTopic.NAME)) {
        return Future.failedFuture(new SluiceException(code, "injected: " + code));
      }
      return delegate.produce(caller, tp, batches, acks);
    }
  }
}
