package io.sluice.metrics;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.record.RecordBatch;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;

/**
 * A {@link BrokerService} that counts the produce and fetch traffic passing through it, then delegates. The broker
 * gives it to its front ends, so traffic is counted once, by the broker the client's request came to (a request
 * forwarded to the partition's leader is not counted again there). Counting reads only batch headers.
 */
final class MeteredBrokerService extends DelegatingBrokerService {
  private final BrokerMetrics metrics;

  MeteredBrokerService(BrokerService delegate, BrokerMetrics metrics) {
    super(delegate);
    this.metrics = metrics;
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    return produce(caller, tp, batches, acks, null);
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks,
      String transactionalId) {
    long start = System.nanoTime();
    long bytes = batches.remaining();
    long records = recordCount(batches);
    return delegate.produce(caller, tp, batches, acks, transactionalId).andThen(ar -> {
      if (ar.succeeded()) {
        metrics.produced(tp, bytes, records, start);
      } else {
        metrics.produceErrors.increment();
      }
    });
  }

  @Override
  public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
    long start = System.nanoTime();
    return delegate.fetch(caller, request).andThen(ar -> {
      if (ar.succeeded()) {
        FetchResult r = ar.result();
        long next = r.nextOffset();
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

}
