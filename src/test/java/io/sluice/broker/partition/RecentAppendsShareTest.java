package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The broker's recent-appends budget shared between its leaders: one busy partition with a slow follower may fill it,
 * but gives way to another partition's appends down to an equal share, and the broker's count stays the sum of what
 * each holds. Netty's leak detector watches every buffer (paranoid).
 */
class RecentAppendsShareTest {
  private static final int APPEND = 1024;

  @RegisterExtension
  final NettyLeaks leaks = new NettyLeaks();

  /** Keeps one append of {@code APPEND} bytes at {@code offset}, as the partition's write does (its own reference). */
  private static void append(RecentAppends kept, long offset) {
    ByteBuf written = PooledByteBufAllocator.DEFAULT.directBuffer(APPEND).writeZero(APPEND);
    try {
      kept.add(offset, offset + 1, written);
    } finally {
      written.release();
    }
  }

  /** Whether the append at {@code offset} is kept (a fetch there is answered from memory). */
  private static boolean keeps(RecentAppends kept, long offset) {
    ByteBuf answer = kept.read(offset, APPEND);
    if (answer == null) {
      return false;
    }
    answer.release();
    return true;
  }

  @Test
  void aBusyPartitionHoldingTheWholeBudgetGivesWayToAnotherDownToAnEqualShare() {
    FollowerFetchCache cache = new FollowerFetchCache(4L * APPEND);
    RecentAppends busy = new RecentAppends(cache);
    RecentAppends other = new RecentAppends(cache);
    try {
      for (long o = 0; o < 6; o++) {
        append(busy, o);
      }
      assertThat(busy.bytes()).as("alone, the busy partition holds the whole budget").isEqualTo(4L * APPEND);

      append(other, 0);
      assertThat(keeps(other, 0)).as("the other partition's append is kept").isTrue();
      assertThat(keeps(busy, 2)).as("the busy one's oldest made the room").isFalse();
      assertThat(keeps(busy, 3)).isTrue();

      for (long o = 6; o < 10; o++) {
        append(busy, o);
        append(other, o - 5);
      }
      assertThat(busy.bytes()).as("an equal share each").isEqualTo(2L * APPEND);
      assertThat(other.bytes()).isEqualTo(2L * APPEND);
      assertThat(keeps(busy, 8)).isTrue();
      assertThat(keeps(other, 3)).isTrue();
      assertThat(cache.bytes()).as("the broker's count, the sum of both").isEqualTo(4L * APPEND);

      other.clear();
      append(busy, 10);
      append(busy, 11);
      assertThat(busy.bytes()).as("the room given back is the busy one's again").isEqualTo(4L * APPEND);
    } finally {
      busy.clear();
      other.clear();
    }
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void twoPartitionsTakingRoomFromEachOtherOnTheirOwnThreadsKeepTheCountTrue() throws Exception {
    FollowerFetchCache cache = new FollowerFetchCache(8L * APPEND);
    RecentAppends a = new RecentAppends(cache);
    RecentAppends b = new RecentAppends(cache);
    CyclicBarrier start = new CyclicBarrier(2);
    CompletableFuture<Void> first = CompletableFuture.runAsync(() -> appendMany(a, start));
    CompletableFuture<Void> second = CompletableFuture.runAsync(() -> appendMany(b, start));
    try {
      CompletableFuture.allOf(first, second).get(60, TimeUnit.SECONDS);
      assertThat(cache.bytes()).as("the broker's count, the sum of both").isEqualTo(a.bytes() + b.bytes());
      assertThat(cache.bytes()).isLessThanOrEqualTo(cache.maxBytes());
      assertThat(a.bytes()).as("neither starved").isPositive();
      assertThat(b.bytes()).isPositive();
    } finally {
      a.clear();
      b.clear();
    }
    assertThat(cache.bytes()).isZero();
  }

  private static void appendMany(RecentAppends kept, CyclicBarrier start) {
    try {
      start.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (long o = 0; o < 5_000; o++) {
      append(kept, o);
      if (o % 7 == 0) {
        keeps(kept, o);
      }
    }
  }
}
