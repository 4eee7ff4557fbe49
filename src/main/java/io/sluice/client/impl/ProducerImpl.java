package io.sluice.client.impl;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SendCallback;
import io.sluice.client.TopicDescription;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import io.sluice.record.Partitioner;
import io.sluice.record.RecordBatch;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The producer: an inbox any thread may add to, drained on the client's context into per-partition batches that
 * {@link Sender} sends.
 *
 * <p><b>Why an inbox.</b> A send from a foreign thread costs one lock-free queue insert; the context is woken once per
 * burst rather than once per record, which is what lets one producer thread reach hundreds of thousands of records
 * a second. The inbox is FIFO and drained by one thread, so a partition's records keep their send order.
 *
 * <p><b>Before the first batch</b> an idempotent producer asks a broker for its identity ({@code POST /producers}
 * answering {@code {"producer_id", "producer_epoch"}}); records wait in the inbox until it is known. A record for a
 * topic whose metadata is not cached waits in that topic's queue, behind which every later record of the topic
 * waits too, until the metadata arrives.
 */
final class ProducerImpl implements Producer {
  /** Bytes a record adds to a batch besides its key, value and headers (an upper bound for small records). */
  private static final int RECORD_OVERHEAD_BYTES = 21;
  private static final long METADATA_WAIT_MS = 60_000;
  /** A partition's first batch buffer when nothing tells how full its batches get. */
  static final int FIRST_BATCH_BYTES = 16 * 1024;

  /** A record handed to {@link #send(ProducerRecord)}, or a flush marker (record null). */
  private record Pending(ProducerRecord record, long timestamp, SendCallback callback, Promise<Void> flush) {
  }

  /** Records of one topic waiting for its metadata, in send order. */
  private static final class Waiting {
    final List<Pending> records = new ArrayList<>();
    final Promise<Void> resolved = Promise.promise();
    final long sinceMs = System.currentTimeMillis();
  }

  private final ClientImpl client;
  private final Context context;
  private final Vertx vertx;
  private final MetadataCache metadata;
  private final ProducerOptions options;
  private final Sender sender;
  /** Full-size batch arrays reused from answered batches. */
  private final BatchBuffers buffers;
  /** Records routed per task of the context (a few milliseconds of work) before it lets other tasks run. */
  static final int DRAIN_SLICE_RECORDS = 16_384;
  private final ConcurrentLinkedQueue<Pending> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final Map<String, Waiting> waiting = new HashMap<>();
  private final Map<String, Integer> sticky = new HashMap<>();
  private final Promise<Void> identified = Promise.promise();
  /** A transactional producer's transactions; null without {@link ProducerOptions#transactionalId}. */
  private final TransactionManager txn;
  private volatile boolean closed;
  private Future<Void> closing;

  ProducerImpl(ClientImpl client, ProducerOptions options) {
    this.client = client;
    this.context = client.context();
    this.vertx = client.vertx();
    this.metadata = client.metadata();
    this.options = options;
    this.sender = new Sender(vertx, client.transport(), metadata, options);
    this.buffers = new BatchBuffers(RecordBatch.HEADER_SIZE + options.batchSizeBytes());
    this.txn = options.transactionalId() == null ? null : new TransactionManager(metadata, vertx, options, () -> {
      if (options.lingerMs() == 0) {
        sender.lingeredAll();
      }
      sender.sendOutgoing();
    });
    Unis.run(context, this::identify);
  }

  @Override
  public Uni<RecordMetadata> send(ProducerRecord record) {
    return Uni.createFrom().emitter(emitter -> send(record, (md, failure) -> {
      if (failure == null) {
        emitter.complete(md);
      } else {
        emitter.fail(failure);
      }
    }));
  }

  @Override
  public void send(ProducerRecord record, SendCallback callback) {
    long ts = record.timestamp() != null ? record.timestamp() : System.currentTimeMillis();
    // A transactional producer notes its records' failures: a transaction with one cannot be committed.
    SendCallback cb = txn == null ? callback : (md, failure) -> {
      if (failure != null) {
        txn.recordFailed(failure);
      }
      callback.onCompletion(md, failure);
    };
    enqueue(new Pending(record, ts, cb, null));
  }

  @Override
  public Uni<Void> initTransactions() {
    if (txn == null) {
      return Producer.super.initTransactions();
    }
    return Unis.onContext(context, () -> {
      if (identified.future().isComplete()) {
        return Future.failedFuture(new IllegalStateException("initTransactions() was called already"));
      }
      return txn.init().<Void>map(id -> {
        sender.identity(id);
        identified.tryComplete(); // a close with nothing to send may have failed it
        drainInbox();
        return null;
      });
    });
  }

  @Override
  public void beginTransaction() {
    if (txn == null) {
      Producer.super.beginTransaction();
    }
    txn.begin();
  }

  @Override
  public Uni<Void> commitTransaction() {
    return txn == null ? Producer.super.commitTransaction() : endTransaction(true);
  }

  @Override
  public Uni<Void> abortTransaction() {
    return txn == null ? Producer.super.abortTransaction() : endTransaction(false);
  }

  @Override
  public Uni<Void> sendOffsetsToTransaction(java.util.Map<io.sluice.client.TopicPartition, Long> offsets,
      io.sluice.client.GroupMetadata group) {
    if (txn == null) {
      return Producer.super.sendOffsetsToTransaction(offsets, group);
    }
    java.util.Map<io.sluice.client.TopicPartition, Long> copy = java.util.Map.copyOf(offsets);
    return Unis.onContext(context, () -> txn.sendOffsets(copy, group));
  }

  /** Every record sent before answered (the flush), then EndTxn. */
  private Uni<Void> endTransaction(boolean commit) {
    if (!identified.future().isComplete()) {
      // Its flush would wait for the identity, which only initTransactions() gets.
      return Uni.createFrom().failure(new IllegalStateException("initTransactions() first"));
    }
    return flush().onItem().transformToUni(v -> Unis.onContext(context, () -> txn.end(commit)
        .<Void>map(next -> {
          sender.nextTransaction(next);
          return null;
        })));
  }

  @Override
  public Multi<RecordMetadata> send(Multi<ProducerRecord> records) {
    return records.onItem().transformToUni(this::send).merge(options.maxPendingRecords());
  }

  @Override
  public Uni<Void> flush() {
    return Uni.createFrom().emitter(emitter -> {
      Promise<Void> p = Promise.promise();
      p.future().onComplete(emitter::complete, emitter::fail);
      enqueue(new Pending(null, 0, null, p));
    });
  }

  @Override
  public Uni<Void> close() {
    return Unis.onContext(context, this::closeOnContext);
  }

  Future<Void> closeOnContext() {
    if (closing == null) {
      if (!identified.future().isComplete() && inbox.stream().allMatch(p -> p.record() == null)) {
        // Nothing waits for the identity: the close must not wait out its retries (delivery.timeout.ms), as it did
        // for a broker service's producer whose own listener it could not reach.
        identified.tryFail(new IllegalStateException("The producer is closed"));
      }
      Promise<Void> flushed = Promise.promise();
      enqueue(new Pending(null, 0, null, flushed));
      closed = true;
      closing = flushed.future().andThen(ar -> {
        sender.stop();
        client.forget(this);
      });
    }
    return closing;
  }

  /** Sends not yet taken from the inbox; for tests. */
  int inboxSize() {
    return inbox.size();
  }

  /** The reused batch arrays; read them on the context; for tests. */
  BatchBuffers buffers() {
    return buffers;
  }

  /** The producer's sender; read it on the context; for tests. */
  Sender sender() {
    return sender;
  }

  /** The context the inbox is drained on; for tests. */
  Context context() {
    return context;
  }

  private void enqueue(Pending p) {
    if (closed && p.record() != null) {
      p.callback().onCompletion(null, new IllegalStateException("The producer is closed"));
      return;
    }
    inbox.add(p);
    if (drainScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drainInbox());
    }
  }

  /** On the context: turns everything in the inbox into batch appends, in order. */
  private void drainInbox() {
    drainScheduled.set(false);
    if (!identified.future().isComplete()) {
      return; // identify() drains once the identity is known
    }
    if (identified.future().failed()) {
      Throwable cause = identified.future().cause();
      for (Pending p = inbox.poll(); p != null; p = inbox.poll()) {
        if (p.record() != null) {
          p.callback().onCompletion(null, cause);
        } else {
          p.flush().complete();
        }
      }
      return;
    }
    int slice = 0;
    for (Pending p = inbox.poll(); p != null; p = ++slice < DRAIN_SLICE_RECORDS ? inbox.poll() : null) {
      if (p.record() == null) {
        flushOnContext().onComplete(p.flush());
      } else {
        route(p);
      }
    }
    // A sending thread that outpaces the drain would otherwise keep the context in this loop for seconds.
    if (!inbox.isEmpty() && drainScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drainInbox());
    }
    if (options.lingerMs() == 0) {
      sender.lingeredAll();
    }
    sender.sendOutgoing();
  }

  private void route(Pending p) {
    String topic = p.record().topic();
    Waiting w = waiting.get(topic);
    TopicDescription d = metadata.cached(topic);
    if (w != null || d == null) {
      if (w == null) {
        w = new Waiting();
        waiting.put(topic, w);
        awaitMetadata(topic, w);
      }
      w.records.add(p);
      return;
    }
    append(d, p);
  }

  private void awaitMetadata(String topic, Waiting w) {
    metadata.topic(topic).onComplete(ar -> {
      if (ar.succeeded()) {
        waiting.remove(topic);
        w.records.forEach(p -> append(ar.result(), p));
        w.resolved.complete();
        if (options.lingerMs() == 0) {
          sender.lingeredAll();
        }
        sender.sendOutgoing();
      } else if (ErrorCodes.retriable(ar.cause())
          && System.currentTimeMillis() - w.sinceMs < Math.min(METADATA_WAIT_MS, options.deliveryTimeoutMs())) {
        vertx.setTimer(options.retryBackoffMs(), id -> awaitMetadata(topic, w));
      } else {
        waiting.remove(topic);
        w.records.forEach(p -> p.callback().onCompletion(null, ar.cause()));
        w.resolved.complete();
      }
    });
  }

  private void append(TopicDescription d, Pending p) {
    ProducerRecord r = p.record();
    int count = d.partitionCount();
    int partition;
    if (r.partition() != null) {
      partition = r.partition();
      if (partition < 0 || partition >= count) {
        p.callback().onCompletion(null, MetadataCache.unknownPartition(r.topic(), partition, count));
        return;
      }
    } else if (r.key() != null) {
      partition = Partitioner.partitionForKey(r.key(), count);
    } else {
      partition = stickyPartition(r.topic(), count);
    }
    if (txn != null) {
      Throwable refused = txn.refusal();
      if (refused != null) {
        p.callback().onCompletion(null, refused);
        return;
      }
      int chosen = partition;
      txn.whenAdded(r.topic(), partition, () -> appendTo(chosen, p), t -> p.callback().onCompletion(null, t));
      return;
    }
    appendTo(partition, p);
  }

  private void appendTo(int partition, Pending p) {
    ProducerRecord r = p.record();
    PartitionQueue q = sender.queue(r.topic(), partition);
    if (q.fatal != null) {
      p.callback().onCompletion(null, q.fatal);
      return;
    }
    int size = sizeOf(r);
    if (q.open != null && q.open.estimatedSizeInBytes() + size > q.batchCap.bytes()) {
      sealFull(q, r);
    }
    if (q.open == null) {
      open(q, size);
      if (txn != null) {
        q.open.transactional();
      }
    }
    q.open.append(p.timestamp(), r.key(), r.value(), r.headers(), p.callback());
    if (q.open.estimatedSizeInBytes() >= q.batchCap.bytes()) {
      sealFull(q, r);
    }
  }

  /** Without computeIfAbsent: its lambda would capture {@code count}, an allocation per record. */
  private int stickyPartition(String topic, int count) {
    Integer current = sticky.get(topic);
    if (current == null) {
      current = ThreadLocalRandom.current().nextInt(count);
      sticky.put(topic, current);
    }
    return current % count;
  }

  private void open(PartitionQueue q, int firstRecordBytes) {
    int initialBytes = initialBatchBytes(firstRecordBytes, q.lastBatchBytes, q.batchCap.bytes());
    q.open = new ProducerBatch(q.topic, q.partition, options.compression(), initialBytes,
        // A record's size here is an upper bound (RECORD_OVERHEAD_BYTES), so a full batch holds more than this ratio.
        initialBytes / firstRecordBytes * 5 / 4 + 1, System.currentTimeMillis(), buffers);
    if (options.lingerMs() == 0) {
      sender.openedForNoLinger(q);
    } else {
      ProducerBatch batch = q.open;
      q.lingerTimer = vertx.setTimer(options.lingerMs(), id -> {
        if (q.open == batch) {
          q.lingerTimer = -1;
          sender.lingered(q);
          sender.sendOutgoing();
        }
      });
    }
  }

  /**
   * The buffer a new batch starts with: as large as the partition's last batch grew (a steady stream fills its
   * batches and gets a full-size buffer at once), never more than {@code batchSizeBytes}, never less than its first
   * record. Sized at {@code batchSizeBytes} always, a producer sending one record at a time (linger 0) allocated
   * 256 KiB per record, and its young collections paused the sends every second or so. A partition whose last
   * batch was at least half full gets the whole batch size.
   */
  static int initialBatchBytes(int firstRecordBytes, int lastBatchBytes, int batchSizeBytes) {
    int expected = lastBatchBytes > 0 ? lastBatchBytes : FIRST_BATCH_BYTES;
    if (expected >= batchSizeBytes / 2) {
      // The last batch filled up (it ends up to a record short of the size): this one may fill all of it, and a
      // buffer one record short would double, copying the whole batch, at its last record.
      expected = batchSizeBytes;
    }
    return Math.max(firstRecordBytes, Math.min(batchSizeBytes, expected));
  }

  /** Seals a full batch; a record without key or partition then moves on to another partition (sticky). */
  private void sealFull(PartitionQueue q, ProducerRecord r) {
    sender.seal(q);
    if (r.partition() == null && r.key() == null) {
      sticky.put(r.topic(), ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE));
    }
  }

  private static int sizeOf(ProducerRecord r) {
    int size = RECORD_OVERHEAD_BYTES + (r.key() == null ? 0 : r.key().length)
        + (r.value() == null ? 0 : r.value().length);
    List<Header> headers = r.headers();
    // Indexed: an iterator per record, even over no headers, was 12 MB per 1,000,000 records.
    for (int i = 0; i < headers.size(); i++) {
      Header h = headers.get(i);
      size += h.key().length() * 3 + (h.value() == null ? 0 : h.value().length) + 10;
    }
    return size;
  }

  /** Completes once every record received so far, including those waiting for metadata, is answered. */
  private Future<Void> flushOnContext() {
    Future<Void> adds = txn == null ? null : txn.addsSettled();
    if (adds != null && !adds.isComplete()) {
      return adds.transform(ar -> flushOnContext());
    }
    if (!waiting.isEmpty()) {
      List<Future<Void>> resolved = waiting.values().stream().map(w -> w.resolved.future()).toList();
      return Future.join(resolved).transform(ar -> flushOnContext());
    }
    sender.sealAll();
    sender.sendOutgoing();
    return Future.join(sender.outstanding()).transform(ar -> Future.succeededFuture());
  }

  /** Gets the producer identity (idempotence) and then lets the inbox drain. */
  private void identify() {
    if (txn != null) {
      return; // initTransactions() gets the identity; sends wait for it
    }
    if (!options.idempotence() || options.acks().equals("0")) {
      identified.complete();
      drainInbox();
      return;
    }
    long started = System.currentTimeMillis();
    requestIdentity(started);
  }

  private void requestIdentity(long startedMs) {
    metadata.anyBroker(HttpMethod.POST, "/producers", new JsonObject()).onComplete(ar -> {
      if (identified.future().isComplete()) {
        return; // closed meanwhile with nothing to send
      }
      if (ar.succeeded()) {
        JsonObject json = ar.result().json();
        sender.identity(new Sender.Identity(json.getLong("producer_id"),
            json.getInteger("producer_epoch", 0).shortValue()));
        identified.complete();
      } else if (ErrorCodes.retriable(ar.cause())
          && System.currentTimeMillis() - startedMs < options.deliveryTimeoutMs()) {
        vertx.setTimer(options.retryBackoffMs(), id -> requestIdentity(startedMs));
        return;
      } else {
        identified.fail(new SluiceException(ErrorCodes.codeOf(ar.cause()) == ErrorCode.NOT_FOUND
            ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCodes.codeOf(ar.cause()),
            "Could not get a producer id for idempotence: " + ar.cause().getMessage()));
      }
      drainInbox();
    });
  }
}
