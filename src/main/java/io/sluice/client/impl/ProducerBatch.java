package io.sluice.client.impl;

import io.smallrye.mutiny.subscription.UniEmitter;
import io.sluice.client.RecordMetadata;
import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One partition's batch: records accumulate in a {@link RecordBatchBuilder} until it is sealed (full, lingered
 * enough, or flushed), then the built bytes are sent, possibly several times, and every record's emitter is
 * completed once with the outcome.
 *
 * <p>{@code order} numbers a partition's batches in seal order; with idempotence it is also the batch's base
 * sequence's rank, and retries resend batches in this order. Confined to the producer's context.
 */
final class ProducerBatch {
  final String topic;
  final int partition;
  final long createdMs;
  private final RecordBatchBuilder builder;
  private final List<UniEmitter<? super RecordMetadata>> emitters = new ArrayList<>();
  private long[] timestamps = new long[64];
  private final Promise<Void> done = Promise.promise();
  private Buffer bytes;
  long order;
  int attempts;
  long nextAttemptMs;
  /** Whether, at its last send, a batch of the same partition sealed before it was still unanswered. */
  boolean sentBehindEarlier;

  ProducerBatch(String topic, int partition, CompressionType compression, int initialBytes, long createdMs) {
    this.topic = topic;
    this.partition = partition;
    this.createdMs = createdMs;
    this.builder = new RecordBatchBuilder(compression, initialBytes);
  }

  void append(long timestamp, byte[] key, byte[] value, List<Header> headers,
      UniEmitter<? super RecordMetadata> emitter) {
    int i = emitters.size();
    if (i == timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, i * 2);
    }
    timestamps[i] = timestamp;
    builder.append(timestamp, key, value, headers);
    emitters.add(emitter);
  }

  int recordCount() {
    return emitters.size();
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
    ByteBuffer built = builder.build();
    byte[] array = new byte[built.remaining()];
    built.get(array);
    bytes = Buffer.buffer(array);
  }

  Buffer bytes() {
    return bytes;
  }

  /** Completes every record: offset {@code baseOffset + i}, or -1 for all when the offset is unknown (acks=0). */
  void complete(long baseOffset) {
    for (int i = 0; i < emitters.size(); i++) {
      emitters.get(i).complete(new RecordMetadata(topic, partition, baseOffset < 0 ? -1 : baseOffset + i,
          timestamps[i]));
    }
    done.tryComplete();
  }

  void fail(Throwable failure) {
    emitters.forEach(e -> e.fail(failure));
    done.tryComplete();
  }

  /** Completes once every record of the batch was completed or failed. */
  Future<Void> done() {
    return done.future();
  }
}
