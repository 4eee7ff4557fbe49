package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.Batches;
import io.sluice.api.BrokerService;
import io.sluice.api.CommittedOffset;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.group.GroupConfig;
import io.sluice.group.GroupCoordinator;
import io.sluice.group.GroupListener;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator taking over an offsets partition reads what is committed already while its load marker replicates,
 * instead of after it (a new leader's followers take a while to fetch the marker): the read starts with the marker
 * held, and the groups are served, with every commit, once the marker is acknowledged and the rest is read.
 */
class CoordinatorLoadOverlapTest {
  private static final long WAIT_MS = 30_000;
  private static final String GROUP = "g";
  private static final TopicPartition READ = new TopicPartition("events", 0);

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private GroupCoordinator coordinator;

  @AfterEach
  void close() throws Exception {
    if (coordinator != null) {
      coordinator.close().await(WAIT_MS, TimeUnit.MILLISECONDS);
    }
    vertx.close().await(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  @Test
  void theCommittedRecordsAreReadWhileTheLoadMarkerReplicates() throws Exception {
    InMemoryBroker broker = new InMemoryBroker(vertx, dir);
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("load-test", 1);
    OffsetsTopic seeded = new OffsetsTopic(broker, workers);
    int partitions = await(seeded.ensureCreated(GroupConfig.defaults(), broker));
    int p = OffsetsTopic.partitionFor(GROUP, partitions);
    await(seeded.appendTo(p, List.of(OffsetsTopic.offsetEntry(GROUP, READ, new CommittedOffset(42, "", 1)))));
    HoldingMarker held = new HoldingMarker(broker);
    Future<Map<TopicPartition, CommittedOffset>> served = startServing(held, p);

    await(held.markerSent.future());
    await(held.readStarted.future());
    assertThat(served.isComplete()).as("not served before the marker is acknowledged").isFalse();
    held.release.complete();

    assertThat(await(served)).containsEntry(READ, new CommittedOffset(42, "", 1));
  }

  /**
   * The read done while the marker replicates stops where the partition is readable now, which may be short of the
   * end its offsets named (a new leader's high watermark lagging): the read after the marker goes on from there. It
   * once went on from the end named, so the commits in between were never read and the group lost them.
   */
  @Test
  void theReadAfterTheMarkerContinuesWhereTheFirstReadStopped() throws Exception {
    InMemoryBroker broker = new InMemoryBroker(vertx, dir);
    OffsetsTopic seeded = new OffsetsTopic(broker, vertx.createSharedWorkerExecutor("load-test", 1));
    int partitions = await(seeded.ensureCreated(GroupConfig.defaults(), broker));
    int p = OffsetsTopic.partitionFor(GROUP, partitions);
    List<TopicPartition> read = List.of(READ, new TopicPartition("events", 1), new TopicPartition("events", 2));
    for (TopicPartition tp : read) { // one batch each: the first is readable during the first read, not the others
      await(seeded.appendTo(p, List.of(OffsetsTopic.offsetEntry(GROUP, tp, new CommittedOffset(7, "", 1)))));
    }
    LaggingEnd lagging = new LaggingEnd(broker, 1);
    Future<Map<TopicPartition, CommittedOffset>> served = startServing(lagging, p);

    await(lagging.heldEndAnswered.future());
    lagging.release.complete();

    assertThat(await(served)).containsOnlyKeys(read);
  }

  /**
   * Until released, reads of the offsets topic stop at {@code readableEnd} though its offsets name the log end (a
   * high watermark lagging it), and the coordinator's appends (the load marker) wait.
   */
  private static final class LaggingEnd extends DelegatingBrokerService {
    final Promise<Void> heldEndAnswered = Promise.promise();
    final Promise<Void> release = Promise.promise();
    private final long readableEnd;

    LaggingEnd(InMemoryBroker delegate, long readableEnd) {
      super(delegate);
      this.readableEnd = readableEnd;
    }

    @Override
    public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
        Acks acks, int leaderEpoch) {
      return release.future().compose(v -> delegate.produceAtLeaderEpoch(caller, tp, batches, acks, leaderEpoch));
    }

    @Override
    public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
      if (!request.tp().topic().equals(OffsetsTopic.NAME) || release.future().isComplete()) {
        return delegate.fetch(caller, request);
      }
      if (request.offset() >= readableEnd) {
        heldEndAnswered.tryComplete();
        return Future.succeededFuture(new FetchResult(request.tp(), readableEnd, 0, request.offset(),
            Batches.wrap(new byte[0])));
      }
      // One batch per read (at least one is always answered): the first read ends at the readable end.
      return delegate.fetch(caller, new FetchRequest(request.tp(), request.offset(), 1, 0, 0));
    }
  }

  /** Holds the coordinator's appends (the load marker) until released; tells when a read starts. */
  private static final class HoldingMarker extends DelegatingBrokerService {
    final Promise<Void> markerSent = Promise.promise();
    final Promise<Void> readStarted = Promise.promise();
    final Promise<Void> release = Promise.promise();

    HoldingMarker(InMemoryBroker delegate) {
      super(delegate);
    }

    @Override
    public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
        Acks acks, int leaderEpoch) {
      markerSent.tryComplete();
      return release.future().compose(v -> delegate.produceAtLeaderEpoch(caller, tp, batches, acks, leaderEpoch));
    }

    @Override
    public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
      if (request.tp().topic().equals(OffsetsTopic.NAME)) {
        readStarted.tryComplete();
      }
      return delegate.fetch(caller, request);
    }
  }

  /** Starts a coordinator over {@code broker}; completes with the group's commits once partition {@code p} is loaded. */
  private Future<Map<TopicPartition, CommittedOffset>> startServing(BrokerService broker, int p) throws Exception {
    Promise<Map<TopicPartition, CommittedOffset>> served = Promise.promise();
    coordinator = new GroupCoordinator(vertx, broker, GroupConfig.defaults(), System::currentTimeMillis);
    coordinator.followLeadership(1);
    coordinator.listener(new GroupListener() {
      @Override
      public void partitionLoaded(int partition, int n) {
        if (partition == p) {
          served.tryComplete(coordinator.committed(GROUP));
        }
      }
    });
    await(coordinator.start());
    return served.future();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }
}
