package io.sluice.consumer;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.FetchedRecords;
import io.sluice.record.Record;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A long poll across several partitions. First every partition is read without waiting; if none has records, a
 * fetch is parked on each (the broker's own long poll) and the poll answers as soon as the first of them returns
 * records, or empty once all have timed out. No sleeping, no polling loop. Parked fetches that lose the race
 * end on their own when their wait expires; their records are dropped, positions never moved for them.
 *
 * <p>At most {@code maxBytes} are asked of the partitions together (split evenly, at least one batch each), and
 * at most {@code maxRecords} are returned, in partition order.
 */
final class PartitionPoller {
  private PartitionPoller() {
  }

  /** What to read: the position of each partition, and the limits. */
  record Request(Map<TopicPartition, Long> positions, long timeoutMs, int maxBytes, int minBytes, int maxRecords) {
  }

  /**
   * Records by partition, partitions whose position is out of range (to reset by policy), and partitions whose
   * fetch brought batches but no record at or after the position (offsets a compacted log no longer holds, or
   * control batches), with the offset to move on to: without that a position in such a gap would never advance.
   */
  record Result(Map<TopicPartition, List<Record>> records, List<TopicPartition> outOfRange,
      Map<TopicPartition, Long> skippedTo) {
    int count() {
      return records.values().stream().mapToInt(List::size).sum();
    }
  }

  static Future<Result> poll(BrokerService service, WorkerExecutor workers, Request r) {
    if (r.positions().isEmpty()) {
      return Future.succeededFuture(new Result(Map.of(), List.of(), Map.of()));
    }
    return fetchAll(service, workers, r, 0, 0).compose(first -> {
      if (first.count() > 0 || !first.outOfRange().isEmpty() || !first.skippedTo().isEmpty()
          || r.timeoutMs() <= 0) {
        return Future.succeededFuture(first);
      }
      return firstWithRecords(service, workers, r);
    });
  }

  private static Future<Result> fetchAll(BrokerService service, WorkerExecutor workers, Request r, long waitMs,
      int minBytes) {
    int perPartition = Math.max(1, r.maxBytes() / r.positions().size());
    Map<TopicPartition, Future<FetchResult>> fetches = new LinkedHashMap<>();
    r.positions().forEach((tp, offset) ->
        fetches.put(tp, service.fetch(RequestContext.SELF, new FetchRequest(tp, offset, perPartition, minBytes, waitMs))));
    return Future.join(new ArrayList<>(fetches.values())).transform(ignored -> decode(workers, r, fetches));
  }

  private static Future<Result> decode(WorkerExecutor workers, Request r,
      Map<TopicPartition, Future<FetchResult>> fetches) {
    List<TopicPartition> outOfRange = new ArrayList<>();
    for (var e : fetches.entrySet()) {
      if (e.getValue().failed()) {
        if (e.getValue().cause() instanceof SluiceException se && se.errorCode() == ErrorCode.OFFSET_OUT_OF_RANGE) {
          outOfRange.add(e.getKey());
        } else {
          return Future.failedFuture(e.getValue().cause());
        }
      }
    }
    return workers.executeBlocking(() -> {
      Map<TopicPartition, List<Record>> out = new LinkedHashMap<>();
      Map<TopicPartition, Long> skipped = new LinkedHashMap<>();
      int budget = r.maxRecords();
      for (var e : fetches.entrySet()) {
        if (budget <= 0 || e.getValue().failed()) {
          continue;
        }
        long position = r.positions().get(e.getKey());
        FetchedRecords.Decoded decoded = FetchedRecords.decode(e.getValue().result(), position);
        List<Record> records = decoded.records();
        if (records.isEmpty() && decoded.nextOffset() > position) {
          skipped.put(e.getKey(), decoded.nextOffset());
        }
        if (!records.isEmpty()) {
          List<Record> kept = records.size() > budget ? List.copyOf(records.subList(0, budget)) : records;
          budget -= kept.size();
          out.put(e.getKey(), kept);
        }
      }
      return new Result(out, outOfRange, skipped);
    }, false);
  }

  /** Parks a fetch on every partition; completes with the first that brings records, or empty when all expired. */
  private static Future<Result> firstWithRecords(BrokerService service, WorkerExecutor workers, Request r) {
    Promise<Result> first = Promise.promise();
    AtomicInteger pending = new AtomicInteger(r.positions().size());
    int perPartition = Math.max(1, r.maxBytes() / r.positions().size());
    r.positions().forEach((tp, offset) -> {
      Request one = new Request(Map.of(tp, offset), 0, perPartition, r.minBytes(), r.maxRecords());
      service.fetch(RequestContext.SELF, new FetchRequest(tp, offset, perPartition, Math.max(1, r.minBytes()), r.timeoutMs()))
          .transform(ar -> decode(workers, one, Map.of(tp, ar.succeeded()
              ? Future.succeededFuture(ar.result()) : Future.failedFuture(ar.cause()))))
          .onComplete(ar -> {
            boolean last = pending.decrementAndGet() == 0;
            if (ar.succeeded() && (ar.result().count() > 0 || !ar.result().outOfRange().isEmpty()
                || !ar.result().skippedTo().isEmpty())) {
              first.tryComplete(ar.result());
            } else if (ar.failed()) {
              first.tryFail(ar.cause());
            } else if (last) {
              first.tryComplete(new Result(Map.of(), List.of(), Map.of()));
            }
          });
    });
    return first.future();
  }
}
