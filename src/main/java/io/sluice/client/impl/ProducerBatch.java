package io.sluice.client.impl;

import io.sluice.client.RecordMetadata;
import io.sluice.client.SendCallback;
import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * One partition's batch: records accumulate in a {@link RecordBatchBuilder} until it is sealed (full, lingered
 * enough, or flushed), then the built bytes are sent, possibly several times, and every record's callback is
 * called once with the outcome.
 *
 * <p>{@code order} numbers a partition's batches in seal order; with idempotence it is also the batch's base
 * sequence's rank, and retries resend batches in this order. Confined to the producer's context.
 */
final class ProducerBatch {
  final String topic;
  final int partition;
  final long createdMs;
  private final RecordBatchBuilder builder;
  private final List<SendCallback> callbacks;
  private long[] timestamps;
  private final Promise<Void> done = Promise.promise();
  private ByteBuffer bytes;
  /** Where the builder's array goes back once the batch is answered; null: left to the collector. */
  private BatchBuffers buffers;
  long order;
  int attempts;
  long nextAttemptMs;
  /** Whether, at its last send, a batch of the same partition sealed before it was still unanswered. */
  boolean sentBehindEarlier;
  /**
   * Whether an attempt ended without a sure refusal (a lost answer, a timeout, a broker error): the broker may have
   * written the batch, so its sequence may not be given to another batch.
   */
  boolean maybeWritten;

  /**
   * {@code expectedRecords} sizes the per-record arrays, which otherwise double (and copy) their way up. A batch
   * whose buffer is a full-size one ({@code RecordBatch.HEADER_SIZE + initialBytes} is {@code buffers}' array size)
   * takes it from {@code buffers} and gives it back when answered or failed.
   */
  ProducerBatch(String topic, int partition, CompressionType compression, int initialBytes, int expectedRecords,
      long createdMs, BatchBuffers buffers) {
    int records = Math.max(16, expectedRecords);
    this.callbacks = new ArrayList<>(records);
    this.timestamps = new long[records];
    this.topic = topic;
    this.partition = partition;
    this.createdMs = createdMs;
    if (buffers != null && RecordBatch.HEADER_SIZE + initialBytes == buffers.arrayBytes()) {
      this.buffers = buffers;
      this.builder = new RecordBatchBuilder(compression, buffers.take());
    } else {
      this.builder = new RecordBatchBuilder(compression, initialBytes);
    }
  }

  /** A piece of a split batch: its records are in {@code builder} already; the caller seals it. */
  private ProducerBatch(String topic, int partition, long createdMs, RecordBatchBuilder builder,
      List<SendCallback> callbacks, long[] timestamps) {
    this.topic = topic;
    this.partition = partition;
    this.createdMs = createdMs;
    this.builder = builder;
    this.callbacks = callbacks;
    this.timestamps = timestamps;
  }

  /** Marks the batch a transactional producer's; before its first record. */
  void transactional() {
    builder.transactional();
  }

  void append(long timestamp, byte[] key, byte[] value, List<Header> headers, SendCallback callback) {
    int i = callbacks.size();
    if (i == timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, i * 2);
    }
    timestamps[i] = timestamp;
    builder.append(timestamp, key, value, headers);
    callbacks.add(callback);
  }

  int recordCount() {
    return callbacks.size();
  }

  int estimatedSizeInBytes() {
    return builder.estimatedSizeInBytes();
  }

  boolean sealed() {
    return bytes != null;
  }

  /** Builds the bytes, stamped with the producer's identity and this batch's first sequence number (-1: none). */
  void seal(long order, long producerId, short producerEpoch, int baseSequence) {
    this.order = order;
    builder.producer(producerId, producerEpoch, baseSequence);
    // The builder's own bytes, not a copy: a trimmed copy and then Buffer.buffer(byte[]) (which copies too) made
    // two more copies of every batch, each a young-generation array alive as long as the batch.
    bytes = builder.build();
  }

  /** Moves the sealed, never-written batch to another epoch and sequence (the bytes' CRC is rewritten too). */
  void restamp(short producerEpoch, int baseSequence) {
    RecordBatch.wrap(bytes.duplicate()).setProducerEpochAndBaseSequence(producerEpoch, baseSequence);
  }

  /**
   * Splits this sealed batch, which the broker refused as too large and never wrote, in two: the first records up to
   * about half its uncompressed bytes, and the rest, in order, each with its records' callbacks, with this batch's
   * compression, producer id and epoch, and the part of its sequence range its records had here (so the partition's
   * later batches keep theirs). Halving, rather than cutting to a size, needs no knowledge of the limit (the broker's
   * {@code max.message.bytes}, the topic's, or its request body limit) and reaches any limit in log2 rounds; Kafka's
   * producer cuts a refused batch to {@code batch.size} and then halves (KAFKA-8350). The pieces start unsent
   * ({@code attempts} 0). This batch's array goes back to the pool now; its {@link #done()} completes once both
   * pieces' do, so a flush waiting for it waits for them.
   *
   * @throws IllegalStateException if the batch holds a single record
   */
  ProducerBatch[] split() {
    int count = recordCount();
    if (count < 2) {
      throw new IllegalStateException("A batch of " + count + " record cannot be split");
    }
    RecordBatch sealed = RecordBatch.wrap(bytes.duplicate());
    // Each piece has a header of its own: half of the records' bytes goes after it.
    int half = RecordBatch.HEADER_SIZE + (builder.estimatedSizeInBytes() - RecordBatch.HEADER_SIZE) / 2;
    RecordBatchBuilder first = new RecordBatchBuilder(sealed.compressionType(), half);
    RecordBatchBuilder second = new RecordBatchBuilder(sealed.compressionType(), half);
    int cut = 0;
    int i = 0;
    // One record decoded at a time (not the whole list): with the pieces, at most about twice the batch is held.
    for (Iterator<Record> it = sealed.iterator(); it.hasNext(); ) {
      Record r = it.next();
      // Once a record went to the second piece every later one does; each piece gets at least one.
      boolean toFirst = i == 0 || (i < count - 1 && cut == i && first.estimatedSizeInBytes() < half);
      (toFirst ? first : second).append(r.timestamp(), r.key(), r.value(), r.headers());
      cut += toFirst ? 1 : 0;
      i++;
    }
    int base = sealed.baseSequence();
    ProducerBatch[] pieces = {piece(first, 0, cut, sealed, base),
        piece(second, cut, count, sealed, base < 0 ? RecordBatch.NO_SEQUENCE : base + cut)};
    Future.join(pieces[0].done(), pieces[1].done()).onComplete(ar -> done.tryComplete());
    release();
    return pieces;
  }

  /** Records {@code from} to {@code to} of this batch, built in {@code records}, sealed with {@code sealed}'s producer. */
  private ProducerBatch piece(RecordBatchBuilder records, int from, int to, RecordBatch sealed, int baseSequence) {
    ProducerBatch p = new ProducerBatch(topic, partition, createdMs, records,
        new ArrayList<>(callbacks.subList(from, to)), Arrays.copyOfRange(timestamps, from, to));
    records.producer(sealed.producerId(), sealed.producerEpoch(), baseSequence);
    if (sealed.isTransactional()) {
      records.transactional();
    }
    p.bytes = records.build();
    return p;
  }

  /** The sealed batch's size in bytes. */
  int sizeInBytes() {
    return bytes.remaining();
  }

  /** Appends the sealed batch to a request body: the one copy of its bytes the client makes. */
  void writeTo(Buffer body) {
    body.appendBytes(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
  }

  /**
   * Completes every record: offset {@code baseOffset + i}, or -1 for all when the offset is unknown (acks=0); its
   * timestamp the broker's {@code logAppendTimeMs} for a LogAppendTime topic (>= 0), else the one it was sent with.
   */
  void complete(long baseOffset, long logAppendTimeMs) {
    for (int i = 0; i < callbacks.size(); i++) {
      callbacks.get(i).onCompletion(new RecordMetadata(topic, partition, baseOffset < 0 ? -1 : baseOffset + i,
          logAppendTimeMs >= 0 ? logAppendTimeMs : timestamps[i]), null);
    }
    done.tryComplete();
    release();
  }

  void fail(Throwable failure) {
    callbacks.forEach(c -> c.onCompletion(null, failure));
    done.tryComplete();
    release();
  }

  /**
   * Gives the array back: the batch is finished, never sent again, and its bytes were only ever read by
   * {@link #writeTo}, which copied them into a request body, so nothing reads the array after this.
   */
  private void release() {
    if (buffers != null) {
      buffers.give(builder.buffer());
      buffers = null;
      bytes = null;
    }
  }

  /** Completes once every record of the batch was completed or failed. */
  Future<Void> done() {
    return done.future();
  }
}
