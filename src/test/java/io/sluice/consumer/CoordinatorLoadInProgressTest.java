package io.sluice.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.BrokerService;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.GroupListing;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetCommit;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.rpc.Contexts;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator that leads an offsets topic partition but has not finished reading it must not answer a read of every
 * group as if that partition had none (Kafka's ListGroups answers COORDINATOR_LOAD_IN_PROGRESS then, and its admin
 * client retries). Found as CommittedOffsetsRestartTest listing no groups after a restart at load 30. The load is held
 * deterministically: a second coordinator on the broker reads the offsets topic through a service that holds the
 * group's partition's fetch until the test releases it.
 */
class CoordinatorLoadInProgressTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.anonymous("test", "127.0.0.1:1", "LoadTest");
  private static final int OFFSETS_PARTITIONS = 2;
  private static final String GROUP = "g-loading";

  @TempDir
  Path dir;

  @Test
  void groupReadsDuringALoadWaitForItInsteadOfMissingItsGroups() throws Exception {
    Broker broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS,
        OFFSETS_PARTITIONS)), GUARD);
    try {
      TopicPartition tp = new TopicPartition("t", 0);
      await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("t", 1, 1, Map.of())));
      await(broker.services().groups().commit(CALLER, GROUP, null, -1, Map.of(tp, new OffsetCommit(3, "m"))));
      HeldLoad held = new HeldLoad(broker.service(), new TopicPartition(OffsetsTopic.NAME,
          OffsetsTopic.partitionFor(GROUP, OFFSETS_PARTITIONS)));
      GroupCoordination loading = new GroupCoordination(broker.vertx(), broker.config(), held,
          System::currentTimeMillis);
      await(loading.start());
      try {
        await(held.reached.future());
        // The coordinator's own answer: refused while it reads the partition, not a list without the group.
        assertCode(loading.localGroups().listGroups(CALLER), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
        Future<List<GroupListing>> listed = loading.groups().list(CALLER);
        Future<io.vertx.core.json.JsonArray> listedRest = loading.consumers().listGroups(CALLER);
        var described = loading.groups().describe(CALLER, GROUP);
        var fetched = loading.groups().fetchOffsets(CALLER, GROUP, null);
        held.release(broker.vertx());
        assertThat(await(listed)).extracting(GroupListing::groupId).contains(GROUP);
        assertThat(await(listedRest).stream().map(o -> ((JsonObject) o).getString("group_id"))).contains(GROUP);
        assertThat(await(described).groupId()).isEqualTo(GROUP);
        assertThat(await(fetched).get(tp).offset()).isEqualTo(3);
        assertThat(await(loading.localGroups().listGroups(CALLER)).stream()
            .map(o -> ((JsonObject) o).getString("group_id"))).contains(GROUP);
      } finally {
        await(loading.stop());
      }
    } finally {
      TestBrokers.close(broker);
    }
  }

  /** Holds fetches of one partition until released; the rest pass through. */
  private static final class HeldLoad extends DelegatingBrokerService {
    final Promise<Void> reached = Promise.promise();
    private final Promise<Void> released = Promise.promise();
    private final TopicPartition held;

    HeldLoad(BrokerService delegate, TopicPartition held) {
      super(delegate);
      this.held = held;
    }

    @Override
    public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
      Context context = Vertx.currentContext();
      if (!request.tp().equals(held) || released.future().isComplete() || context == null) {
        return delegate.fetch(caller, request);
      }
      reached.tryComplete();
      // Resumed on the reader's context: the coordinator's state stays confined to it.
      return released.future().compose(v -> Contexts.onContext(context, () -> delegate.fetch(caller, request)));
    }

    void release(Vertx vertx) {
      vertx.runOnContext(v -> released.complete());
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static void assertCode(Future<?> f, ErrorCode code) {
    assertThatThrownBy(() -> await(f)).isInstanceOfSatisfying(SluiceException.class,
        e -> assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(code));
  }
}
