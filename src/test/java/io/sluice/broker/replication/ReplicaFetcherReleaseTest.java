package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.storage.LeaderEpochCache;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fetcher gives every response back to its transport ({@link ReplicaTransport#release}) once, and only after it is
 * done with the records: a replica link's responses are pooled direct memory the follower's append writes from.
 */
class ReplicaFetcherReleaseTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private final Vertx vertx = Vertx.vertx();
  /** What the scripted leader answers, one per fetch, in order; a fetch with none left waits forever. */
  private final BlockingQueue<ByteBuf> answers = new LinkedBlockingQueue<>();
  private final List<ByteBuf> released = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Promise<Void>> appends = new LinkedBlockingQueue<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private final ReplicaTransport transport = new ReplicaTransport() {
    @Override
    public Future<Buffer> fetch(Vertx v, int leaderId, Buffer request, long timeoutMs) {
      ByteBuf next = answers.poll();
      return next == null ? Promise.<Buffer>promise().future() : Future.succeededFuture(BufferInternal.buffer(next));
    }

    @Override
    public void release(Buffer response) {
      ByteBuf bytes = ((io.vertx.core.buffer.impl.BufferImpl) response).byteBuf();
      released.add(bytes);
      bytes.release();
    }
  };

  private final FollowerLog log = new FollowerLog() {
    @Override
    public long logEndOffset() {
      return 0;
    }

    @Override
    public int lastFetchedEpoch() {
      return -1;
    }

    @Override
    public LeaderEpochCache.EpochEnd endOffsetFor(int epoch) {
      return new LeaderEpochCache.EpochEnd(-1, -1);
    }

    @Override
    public Future<Void> appendFromLeader(long fetchOffset, Buffer records, long leaderHighWatermark) {
      Promise<Void> done = Promise.promise();
      appends.add(done);
      return done.future();
    }

    @Override
    public Future<Void> truncateTo(long offset) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> truncateFullyAndStartAt(long offset) {
      return Future.succeededFuture();
    }

    @Override
    public long logStartOffset() {
      return 0;
    }

    @Override
    public Future<Void> followLogStart(long leaderLogStart) {
      return Future.succeededFuture();
    }
  };

  private static ByteBuf pooled(Buffer encoded) {
    return PooledByteBufAllocator.DEFAULT.directBuffer(encoded.length()).writeBytes(encoded.getBytes());
  }

  private ReplicaFetcher startFetcher(Context context) {
    ReplicaFetcher fetcher = new ReplicaFetcher(vertx, TP, 2, () -> 1L, 1, 0, log,
        new ReplicaFetcher.Options(1 << 20, 500, 10), transport);
    context.runOnContext(v -> fetcher.start());
    return fetcher;
  }

  @Test
  void aResponseIsReleasedOnceItsAppendIsDoneNotBefore() throws Exception {
    ByteBuf records = pooled(ReplicaFetchCodec.encode(ReplicaFetchResponse.records(0, 5, 0,
        Buffer.buffer("batches"))));
    answers.add(records);
    Context context = vertx.getOrCreateContext();
    startFetcher(context);
    Promise<Void> append = appends.poll(10, TimeUnit.SECONDS);
    assertThat(append).as("the records went to the log").isNotNull();
    assertThat(released).as("the log still writes from them").isEmpty();
    assertThat(records.refCnt()).isEqualTo(1);
    context.runOnContext(v -> append.complete());
    awaitReleased(1);
    assertThat(released.get(0)).isSameAs(records);
    assertThat(records.refCnt()).isZero();
  }

  @Test
  void refusedAndUnreadableResponsesAreReleasedToo() throws Exception {
    ByteBuf refused = pooled(ReplicaFetchCodec.encode(ReplicaFetchResponse.error(ErrorCode.NOT_LEADER_OR_FOLLOWER,
        "not me")));
    ByteBuf garbage = pooled(Buffer.buffer("garbage"));
    answers.add(refused);
    answers.add(garbage);
    startFetcher(vertx.getOrCreateContext());
    awaitReleased(2);
    assertThat(released.get(0)).isSameAs(refused);
    assertThat(released.get(1)).isSameAs(garbage);
    assertThat(appends).isEmpty();
  }

  private void awaitReleased(int n) throws InterruptedException {
    org.awaitility.Awaitility.await(n + " answers released").atMost(java.time.Duration.ofSeconds(10))
        .until(() -> released.size() >= n);
    assertThat(released).hasSize(n);
  }
}
