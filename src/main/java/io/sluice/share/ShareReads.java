package io.sluice.share;

import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchedRecords;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.record.Record;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.List;

/**
 * Reads a partition for the share groups: a read_uncommitted fetch through the broker service (at the partition's
 * leader, a long poll when asked), decoded on the share worker pool (a file region is read from disk and batches
 * may be compressed).
 */
final class ShareReads {

  /** The records found at or after the asked offset, the offset after the read, and the log's start. */
  record Read(List<Record> records, long nextOffset, long logStartOffset) {
  }

  private final BrokerService cluster;
  private final WorkerExecutor workers;

  ShareReads(BrokerService cluster, WorkerExecutor workers) {
    this.cluster = cluster;
    this.workers = workers;
  }

  Future<Read> read(TopicPartition tp, long offset, int maxBytes, long maxWaitMs) {
    return cluster.fetch(RequestContext.SELF, new FetchRequest(tp, offset, maxBytes, 1, maxWaitMs))
        .compose(result -> workers.executeBlocking(() -> {
          FetchedRecords.Decoded decoded = FetchedRecords.decode(result, offset);
          return new Read(decoded.records(), decoded.nextOffset(), result.logStartOffset());
        }, false));
  }

  /** The partition's log start offset. */
  Future<Long> logStart(TopicPartition tp) {
    return cluster.offsets(RequestContext.SELF, tp).map(range -> range.beginningOffset());
  }
}
