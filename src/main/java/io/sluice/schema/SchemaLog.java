package io.sluice.schema;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.sluice.api.InternalTopics;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * {@code _schemas} as this broker reads and writes it: a tail from offset 0 that applies each record to the
 * {@link RegistryState} (every broker follows it live), and writes through an idempotent {@code acks=all} producer,
 * so a write is answered only once it is committed, and {@link #written} only once this broker's state has it.
 */
final class SchemaLog {
  private static final System.Logger LOG = System.getLogger(SchemaLog.class.getName());
  private static final Duration RETRY = Duration.ofMillis(500);

  private final SluiceClient client;
  private final Producer producer;
  private final RegistryState state;
  /** Offsets that callers wait to see applied, each with its completion. */
  private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> awaited = new ConcurrentSkipListMap<>();
  private volatile long nextOffset;
  private volatile boolean tailing;
  private volatile boolean closed;
  private volatile Cancellable tail;

  SchemaLog(SluiceClient client, Producer producer, RegistryState state) {
    this.client = client;
    this.producer = producer;
    this.state = state;
  }

  boolean tailing() {
    return tailing;
  }

  /** Starts following the topic (once it exists); idempotent. */
  synchronized void follow() {
    if (!tailing && !closed) {
      tailing = true;
      subscribe();
    }
  }

  private void subscribe() {
    if (closed) {
      return;
    }
    ReaderOptions options = ReaderOptions.of(InternalTopics.SCHEMAS, 0).fetchMaxWaitMs(1_000)
        .start(StartPosition.offset(nextOffset));
    tail = client.partitionReader(options).records().subscribe().with(this::apply, failure -> {
      if (!closed) { // its leader moved, or the broker is stopping: resume where it stopped
        LOG.log(Level.DEBUG, "The tail of _schemas failed at offset " + nextOffset + "; resuming: " + failure);
        Uni.createFrom().voidItem().onItem().delayIt().by(RETRY).subscribe().with(v -> subscribe());
      }
    });
  }

  private void apply(ConsumerRecord record) {
    if (record.offset() < nextOffset) {
      return;
    }
    state.apply(text(record.key()), text(record.value()));
    nextOffset = record.offset() + 1;
    while (!awaited.isEmpty() && awaited.firstKey() < nextOffset) {
      awaited.pollFirstEntry().getValue().complete(null);
    }
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** Completes once the state has applied the record at {@code offset}. */
  private Uni<Void> applied(long offset) {
    if (offset < nextOffset) {
      return Uni.createFrom().voidItem();
    }
    CompletableFuture<Void> done = awaited.computeIfAbsent(offset, o -> new CompletableFuture<>());
    if (offset < nextOffset) { // applied between the check and the registration
      awaited.remove(offset);
      done.complete(null);
    }
    return Uni.createFrom().completionStage(done);
  }

  /** Appends {@code key -> value} (null: a tombstone); completes once it is committed and applied here. */
  Uni<Void> written(String key, String value) {
    byte[] v = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
    return producer.send(new ProducerRecord(InternalTopics.SCHEMAS, 0, null, key.getBytes(StandardCharsets.UTF_8),
        v, null)).onItem().transformToUni(md -> applied(md.offset()));
  }

  /** Completes once the state has applied every record the topic held when called. */
  Uni<Void> readToEnd() {
    return client.admin().offsets(InternalTopics.SCHEMAS, 0).onItem().transformToUni(o -> o.endOffset() == 0
        ? Uni.createFrom().voidItem() : applied(o.endOffset() - 1));
  }

  void close() {
    closed = true;
    Cancellable t = tail;
    if (t != null) {
      t.cancel();
    }
    awaited.values().forEach(f -> f.completeExceptionally(new IllegalStateException("the registry is stopping")));
    awaited.clear();
  }
}
