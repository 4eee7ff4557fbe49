package io.sluice.metrics;

import io.sluice.broker.Acks;
import io.sluice.broker.BrokerService;
import io.sluice.broker.ClusterDescription;
import io.sluice.broker.FetchRequest;
import io.sluice.broker.FetchResult;
import io.sluice.broker.NewTopic;
import io.sluice.broker.OffsetRange;
import io.sluice.broker.ProduceResult;
import io.sluice.broker.ProducerIdManager;
import io.sluice.broker.TopicMetadata;
import io.sluice.record.RecordBatch;
import io.sluice.storage.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A {@link BrokerService} that counts the produce and fetch traffic passing through it, then delegates. The broker
 * gives it to its front ends, so traffic is counted once, by the broker the client's request came to (a request
 * forwarded to the partition's leader is not counted again there). Counting reads only batch headers.
 */
final class MeteredBrokerService implements BrokerService {
  private final BrokerService delegate;
  private final BrokerMetrics metrics;

  MeteredBrokerService(BrokerService delegate, BrokerMetrics metrics) {
    this.delegate = delegate;
    this.metrics = metrics;
  }

  @Override
  public Future<ProduceResult> produce(TopicPartition tp, ByteBuffer batches, Acks acks) {
    long start = System.nanoTime();
    long bytes = batches.remaining();
    long records = recordCount(batches);
    return delegate.produce(tp, batches, acks).andThen(ar -> {
      if (ar.succeeded()) {
        metrics.produced(tp, bytes, records, start);
      } else {
        metrics.produceErrors.increment();
      }
    });
  }

  @Override
  public Future<FetchResult> fetch(FetchRequest request) {
    long start = System.nanoTime();
    return delegate.fetch(request).andThen(ar -> {
      if (ar.succeeded()) {
        FetchResult r = ar.result();
        long next = r.slice() != null ? r.slice().nextOffset() : nextOffset(r.bytes(), request.offset());
        metrics.fetched(request.tp(), r.sizeInBytes(), Math.max(0, next - request.offset()), start);
      } else {
        metrics.fetchErrors.increment();
      }
    });
  }

  /** The records in whole v2 batches, from their headers; a truncated tail is not counted. */
  static long recordCount(ByteBuffer batches) {
    long count = 0;
    int pos = batches.position();
    int end = batches.limit();
    while (end - pos >= RecordBatch.HEADER_SIZE) {
      count += batches.getInt(pos + RecordBatch.RECORDS_COUNT_OFFSET);
      pos += RecordBatch.LOG_OVERHEAD + batches.getInt(pos + RecordBatch.LENGTH_OFFSET);
    }
    return count;
  }

  /** The offset after the last batch in {@code bytes} (whole v2 batches), or {@code from} when there is none. */
  static long nextOffset(Buffer bytes, long from) {
    long next = from;
    int pos = 0;
    while (bytes.length() - pos >= RecordBatch.HEADER_SIZE) {
      next = bytes.getLong(pos) + bytes.getInt(pos + RecordBatch.LAST_OFFSET_DELTA_OFFSET) + 1;
      pos += RecordBatch.LOG_OVERHEAD + bytes.getInt(pos + RecordBatch.LENGTH_OFFSET);
    }
    return next;
  }

  @Override
  public Future<List<String>> listTopics() {
    return delegate.listTopics();
  }

  @Override
  public Future<TopicMetadata> createTopic(NewTopic request) {
    return delegate.createTopic(request);
  }

  @Override
  public Future<TopicMetadata> describeTopic(String topic) {
    return delegate.describeTopic(topic);
  }

  @Override
  public Future<TopicMetadata> metadataForProduce(String topic) {
    return delegate.metadataForProduce(topic);
  }

  @Override
  public Future<TopicMetadata> createPartitions(String topic, int count) {
    return delegate.createPartitions(topic, count);
  }

  @Override
  public Future<Void> deleteTopic(String topic) {
    return delegate.deleteTopic(topic);
  }

  @Override
  public Future<OffsetRange> offsets(TopicPartition tp) {
    return delegate.offsets(tp);
  }

  @Override
  public Future<OptionalLong> offsetForTimestamp(TopicPartition tp, long timestampMs) {
    return delegate.offsetForTimestamp(tp, timestampMs);
  }

  @Override
  public Future<ProducerIdManager.ProducerIdentity> initProducerId() {
    return delegate.initProducerId();
  }

  @Override
  public Future<ClusterDescription> describeCluster() {
    return delegate.describeCluster();
  }

  @Override
  public Optional<String> notReadyReason() {
    return delegate.notReadyReason();
  }
}
