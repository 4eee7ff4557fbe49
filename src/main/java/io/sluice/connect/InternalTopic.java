package io.sluice.connect;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One of the worker's compacted, single-partition internal topics ({@code __connect_configs}, {@code __connect_status},
 * {@code __connect_offsets}) read from its beginning into a map of the latest value per key, and kept up to date by
 * tailing it. Every broker tails every internal topic, so any broker answers the REST API and any broker can take
 * over a task.
 *
 * <p>Writes go through the worker's idempotent {@code acks=all} producer; {@link #write} completes once the record is
 * replicated, and {@link #caughtUp} once this broker's copy of the map includes it (read your writes).
 *
 * <p>Records arrive on the client's event-loop context; the map is concurrent and read from any thread. A tail that
 * fails (its leader moved, the broker is closing) is resumed from the next offset after a pause.
 */
final class InternalTopic {
  private static final System.Logger LOG = System.getLogger(InternalTopic.class.getName());
  private static final Duration RESUBSCRIBE_BACKOFF = Duration.ofMillis(500);

  private final String name;
  private final SluiceClient client;
  private final Producer producer;
  private final Runnable onChange;
  private final Map<String, String> values = new ConcurrentHashMap<>();
  private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
  private volatile long nextOffset;
  private volatile Cancellable tail;
  private volatile boolean closed;

  private record Waiter(long offset, CompletableFuture<Void> done) implements Comparable<Waiter> {
    @Override
    public int compareTo(Waiter o) {
      return Long.compare(offset, o.offset);
    }
  }

  InternalTopic(String name, SluiceClient client, Producer producer, Runnable onChange) {
    this.name = name;
    this.client = client;
    this.producer = producer;
    this.onChange = onChange;
  }

  String name() {
    return name;
  }

  void start() {
    subscribe();
  }

  private void subscribe() {
    if (closed) {
      return;
    }
    ReaderOptions options = ReaderOptions.of(name, 0).fetchMaxWaitMs(1_000).start(StartPosition.offset(nextOffset));
    tail = client.partitionReader(options).records().subscribe().with(this::apply, failure -> {
      if (!closed) {
        LOG.log(Level.DEBUG, "Tail of " + name + " failed at offset " + nextOffset + "; resuming: " + failure);
        Uni.createFrom().voidItem().onItem().delayIt().by(RESUBSCRIBE_BACKOFF).subscribe().with(v -> subscribe());
      }
    });
  }

  private void apply(ConsumerRecord record) {
    if (record.offset() < nextOffset) {
      return;
    }
    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      values.remove(key);
    } else {
      values.put(key, new String(record.value(), StandardCharsets.UTF_8));
    }
    nextOffset = record.offset() + 1;
    completeWaiters();
    onChange.run();
  }

  private void completeWaiters() {
    synchronized (waiters) {
      while (!waiters.isEmpty() && waiters.peek().offset < nextOffset) {
        waiters.poll().done.complete(null);
      }
    }
  }

  /** Appends {@code key -> value} (null value: a tombstone); emits the record's offset once it is replicated. */
  Uni<Long> write(String key, String value) {
    byte[] v = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
    return producer.send(new ProducerRecord(name, 0, null, key.getBytes(StandardCharsets.UTF_8), v, null))
        .map(md -> md.offset());
  }

  /** Completes once this broker's map includes the record at {@code offset}. */
  CompletableFuture<Void> caughtUp(long offset) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (waiters) {
      waiters.add(new Waiter(offset, done));
    }
    completeWaiters();
    return done;
  }

  /**
   * Blocks the calling (task) thread until this broker's map includes every record the topic held when called: a
   * task must not start from offsets older than those committed before its previous owner died.
   */
  void awaitCaughtUpToEnd(Duration timeout) throws Exception {
    long end = client.admin().offsets(name, 0).await().atMost(timeout).endOffset();
    if (end > 0) {
      caughtUp(end - 1).get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  /** Completes once this broker's map includes every record the topic held when called. */
  Uni<Void> readToEnd() {
    return client.admin().offsets(name, 0).onItem().transformToUni(o -> o.endOffset() == 0
        ? Uni.createFrom().voidItem() : Uni.createFrom().completionStage(caughtUp(o.endOffset() - 1)));
  }

  /** Writes and waits until the write is visible here. */
  Uni<Void> writeAndRead(String key, String value) {
    return write(key, value).onItem().transformToUni(offset -> Uni.createFrom().completionStage(caughtUp(offset)));
  }

  /** The latest value of {@code key}, or null. */
  String get(String key) {
    return values.get(key);
  }

  /** A live view of every key's latest value. */
  Map<String, String> values() {
    return values;
  }

  long nextOffset() {
    return nextOffset;
  }

  void close() {
    closed = true;
    Cancellable t = tail;
    if (t != null) {
      t.cancel();
    }
    synchronized (waiters) {
      waiters.forEach(w -> w.done.completeExceptionally(new IllegalStateException("worker closing")));
      waiters.clear();
    }
  }
}
