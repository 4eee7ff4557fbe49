package io.sluice.broker.partition;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A leader's last appends as it wrote them (direct copies of netty's pool), contiguous in offsets, kept for the
 * follower fetches that arrive behind the log end (an append landed while the follower wrote the one before: a
 * quarter of them in the replication benchmark), which they answer without a storage task, its two thread hand-offs
 * and its read. An append leaves once the high watermark passes it (every in-sync follower fetched past it), when a
 * newer one needs its room in the broker's {@link FollowerFetchCache} budget, and all of them when the replica stops
 * leading, truncates or closes. Followers out of the ISR, and fetches that start anywhere but at a kept append's first
 * offset, read storage as before.
 *
 * <p>The budget is shared fairly: a partition that finds it full takes the room from the largest holder's oldest
 * appends while that holder would still hold more than it, else from its own oldest. One busy partition with a slow
 * follower may hold the whole budget while no other needs it, and gives way down to an equal share when others do.
 *
 * <p><b>Threading:</b> the owning {@link PartitionVerticle}'s event loop adds, reads and releases; another partition's
 * loop may take the oldest append away ({@link #dropOldest}). Each method holds this object's lock alone, never
 * two holders' at once, so two partitions taking room from each other cannot deadlock.
 */
final class RecentAppends {
  private record Append(long first, long end, ByteBuf bytes) {
  }

  private final FollowerFetchCache budget;
  private final ArrayDeque<Append> appends = new ArrayDeque<>();
  /** Written under the lock, read without it by the partitions looking for the largest holder. */
  private volatile long bytes;

  RecentAppends(FollowerFetchCache budget) {
    this.budget = budget;
  }

  /**
   * Keeps the append of offsets {@code first} to {@code end} (exclusive), whose written bytes are {@code written} (a
   * reference is taken), taking room from the largest holder or this one's oldest; kept only when it follows the last one kept (else the older
   * ones go: an answer is always one run of the log).
   */
  void add(long first, long end, ByteBuf written) {
    int size = written.readableBytes();
    if (!budget.enabled() || size == 0) {
      return;
    }
    synchronized (this) {
      Append last = appends.peekLast();
      if (last != null && last.end != first) {
        clear();
      }
    }
    while (!budget.tryReserve(size)) {
      RecentAppends largest = budget.largestHolderOtherThan(this);
      if (largest != null && largest.bytes > bytes + size) {
        largest.dropOldest();
      } else if (!dropOldest()) {
        return; // larger than the budget, or the others hold no more than this one would
      }
    }
    synchronized (this) {
      appends.addLast(new Append(first, end, written.retainedSlice()));
      hold(size);
    }
  }

  /**
   * The kept appends from {@code offset} on, as many whole ones as fit in {@code maxBytes} (a reference the caller
   * releases), or null when no kept append starts there or the first does not fit (the log answers that fetch).
   */
  synchronized ByteBuf read(long offset, int maxBytes) {
    List<ByteBuf> run = new ArrayList<>();
    long size = 0;
    for (Append a : appends) {
      if (run.isEmpty() && a.first != offset) {
        continue;
      }
      size += a.bytes.readableBytes();
      if (size > maxBytes) {
        break;
      }
      run.add(a.bytes);
    }
    if (run.isEmpty()) {
      return null;
    }
    if (run.size() == 1) {
      return run.get(0).retainedDuplicate();
    }
    CompositeByteBuf answer = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(run.size());
    run.forEach(b -> answer.addComponent(true, b.retainedDuplicate()));
    return answer;
  }

  /** Releases the appends the high watermark {@code hw} passed: every in-sync follower has them. */
  synchronized void releaseTo(long hw) {
    while (!appends.isEmpty() && appends.peekFirst().end <= hw) {
      drop(appends.pollFirst());
    }
  }

  /** Releases every append kept (leadership lost, truncation, close). */
  synchronized void clear() {
    while (!appends.isEmpty()) {
      drop(appends.pollFirst());
    }
  }

  /** Whether the broker keeps recent appends at all ({@code replica.fetch.cache.max.bytes} above 0). */
  boolean keeps() {
    return budget.enabled();
  }

  /** Bytes kept now. */
  long bytes() {
    return bytes;
  }

  /** Gives the oldest append's room back to the budget, for this partition or another one: false when none is kept. */
  synchronized boolean dropOldest() {
    Append oldest = appends.pollFirst();
    if (oldest == null) {
      return false;
    }
    drop(oldest);
    return true;
  }

  private void hold(int size) {
    if (bytes == 0) {
      budget.holds(this);
    }
    bytes += size;
  }

  private void drop(Append a) {
    int size = a.bytes.readableBytes();
    bytes -= size;
    if (bytes == 0) {
      budget.holdsNothing(this);
    }
    budget.release(size);
    a.bytes.release();
  }
}
