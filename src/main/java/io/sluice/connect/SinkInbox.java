package io.sluice.connect;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a sink task's thread takes from its group consumer, in the order the consumer produced it: records and the
 * rebalance events between them. The consumer hands records out and calls its rebalance listener on its own context;
 * a task that kept the events apart (in a second queue drained before each batch) applied a revocation after records
 * handed out later, so forgot the offsets of records it had just put (their flush then waited for a commit that never
 * came: the tail of a partition stayed unwritten) or applied an old revocation to a newer assignment. One queue keeps
 * the order: a batch never spans an event, and every event is applied after the records before it.
 */
final class SinkInbox {
  /** A change of the consumer's assignment, applied on the task's thread between batches. */
  record Rebalance(boolean revoked, Set<TopicPartition> partitions) {
  }

  private static final Object END = new Object();
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();

  void record(ConsumerRecord r) {
    queue.add(r);
  }

  /**
   * Queues a rebalance event. A revocation also takes out the revoked partitions' records still queued: their new
   * owner reads them again from the group's commit, and putting them here as well would race it (an older value of a
   * key written after a newer one). Returns how many records it took out, which the caller asks the consumer for
   * again (demand is counted in records).
   */
  synchronized int rebalance(boolean revoked, Set<TopicPartition> partitions) {
    Set<TopicPartition> copy = Set.copyOf(partitions);
    int removed = revoked ? drop(copy) : 0;
    queue.add(new Rebalance(revoked, copy));
    return removed;
  }

  /**
   * Takes out the partitions' records still queued (a revocation's, or a deleted topic's the task gave up) and
   * returns how many, which the caller asks the consumer for again.
   */
  synchronized int drop(Set<TopicPartition> partitions) {
    int[] removed = {0};
    // removeIf holds the queue's lock through the sweep, so the count is exactly what the task will not see.
    queue.removeIf(o -> {
      boolean drop = o instanceof ConsumerRecord r && partitions.contains(new TopicPartition(r.topic(), r.partition()));
      removed[0] += drop ? 1 : 0;
      return drop;
    });
    return removed[0];
  }

  void failed(Throwable t) {
    queue.add(t);
  }

  void ended() {
    queue.add(END);
  }

  /**
   * Waits up to {@code timeoutMs} for something, then takes either one rebalance event, or up to {@code max} records
   * that come before the next event; empty if nothing came.
   *
   * @throws IllegalStateException if the consumer failed or ended
   */
  List<Object> take(int max, long timeoutMs) throws InterruptedException {
    Object first = queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
    if (first == null) {
      return List.of();
    }
    if (first instanceof Rebalance) {
      return List.of(first);
    }
    List<Object> out = new ArrayList<>();
    out.add(check(first));
    // Under the monitor a revocation can take nothing out between the peek and the poll.
    synchronized (this) {
      Object next;
      while (out.size() < max && (next = queue.peek()) != null && !(next instanceof Rebalance)) {
        out.add(check(queue.poll()));
      }
    }
    return out;
  }

  private static Object check(Object item) {
    if (item instanceof Throwable failure) {
      throw new IllegalStateException("The task's consumer failed", failure);
    }
    if (item == END) {
      throw new IllegalStateException("The task's consumer closed");
    }
    return item;
  }
}
