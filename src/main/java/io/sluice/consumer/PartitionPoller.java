package io.sluice.consumer;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.FetchedRecords;
import io.sluice.record.AbortedBatches;
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
 * at most {@code maxRecords} are returned, in partition order. {@link #pollBatches} answers what the fetches
 * returned without decoding a record (a group poll that ships the stored batches); {@link #poll} decodes it.
 */
final class PartitionPoller {
  private PartitionPoller() {
  }

  /** What to read: the position of each partition, and the limits. */
  /**
   * @param clientRack the instance's {@code client.rack}, null without one
   * @param readCommitted the instance's {@code isolation.level} is read_committed
   */
  record Request(Map<TopicPartition, Long> positions, long timeoutMs, int maxBytes, int minBytes, int maxRecords,
      String clientRack, boolean readCommitted) {
    Request(Map<TopicPartition, Long> positions, long timeoutMs, int maxBytes, int minBytes, int maxRecords,
        String clientRack) {
      this(positions, timeoutMs, maxBytes, minBytes, maxRecords, clientRack, false);
    }
  }

  /**
   * Records by partition, partitions whose position is out of range (to reset by policy), and partitions whose
   * fetch brought batches but no record at or after the position (offsets a compacted log no longer holds, or
   * control batches), with the offset to move on to: without that a position in such a gap would never advance.
   */
  record Result(Map<TopicPartition, List<Record>> records, List<TopicPartition> outOfRange,
      Map<TopicPartition, Long> skippedTo) {
  }

  /**
   * What the fetches returned, not decoded: each partition's fetch (in the positions' order; partitions whose fetch
   * failed out of range are absent) and the partitions out of range.
   */
  record Raw(Map<TopicPartition, FetchResult> fetched, List<TopicPartition> outOfRange) {
    static final Raw EMPTY = new Raw(Map.of(), List.of());

    /** Whether any fetch brought batches (records, or a gap to move past) or a position is out of range. */
    boolean hasData() {
      return !outOfRange.isEmpty() || fetched.values().stream().anyMatch(f -> f.sizeInBytes() > 0);
    }
  }

  static Future<Result> poll(BrokerService service, WorkerExecutor workers, Request r) {
    return pollBatches(service, r).compose(raw -> decode(workers, r, raw));
  }

  /** The long poll, answering the stored batches as fetched; nothing is decoded or read from disk here. */
  static Future<Raw> pollBatches(BrokerService service, Request r) {
    if (r.positions().isEmpty()) {
      return Future.succeededFuture(Raw.EMPTY);
    }
    return fetchAll(service, r).compose(first -> first.hasData() || r.timeoutMs() <= 0
        ? Future.succeededFuture(first) : firstWithData(service, r));
  }

  /**
   * The same fetches with their bytes read into memory (from the segment files: blocking, call it on a worker), each
   * next offset the one after the last batch actually read. A position then moves past exactly the batches the answer
   * carries, even if the log changed between the fetch and the read (a truncation after a leader change), as the
   * decoding poll's does. A file region is read in {@link io.sluice.api.Batches.Chunks}, never one array per
   * partition (a G1 humongous allocation at a 4 MiB poll: see the type).
   *
   * @throws io.sluice.errors.CorruptRecordException if what was read is not whole batches
   */
  static Raw inMemory(Raw raw) {
    Map<TopicPartition, FetchResult> read = new LinkedHashMap<>();
    raw.fetched().forEach((tp, f) -> {
      if (f.sizeInBytes() == 0) {
        read.put(tp, f);
        return;
      }
      if (!f.abortedTransactions().isEmpty()) {
        read.put(tp, withoutAborted(f));
        return;
      }
      if (f.batches() instanceof io.sluice.api.Batches.FileRegion region) {
        io.sluice.api.Batches.Chunks chunks = region.readChunks();
        read.put(tp, new FetchResult(tp, f.highWatermark(), f.logStartOffset(), ChunkedBatches.nextOffset(chunks),
            chunks));
        return;
      }
      java.nio.ByteBuffer bytes = f.batches().readBytes();
      long next = -1;
      for (io.sluice.record.RecordBatch batch : io.sluice.record.RecordBatches.split(bytes.duplicate())) {
        next = Math.max(next, batch.nextOffset());
      }
      byte[] copy = bytes.hasArray() && bytes.arrayOffset() == 0 && bytes.array().length == bytes.remaining()
          ? bytes.array() : io.sluice.api.Batches.of(bytes).readBytes().array();
      read.put(tp, new FetchResult(tp, f.highWatermark(), f.logStartOffset(), next,
          io.sluice.api.Batches.wrap(copy)));
    });
    return new Raw(read, raw.outOfRange());
  }

  /**
   * A read_committed fetch's batches read into memory without the aborted transactions' and the control batches
   * (Kafka's consumer algorithm, {@link AbortedBatches}), its next offset past every batch read: the poll's stored
   * batches then need no filter at the reader, and its section layout stays as it was. Only a read overlapping an
   * aborted transaction comes here (one array, not chunks: rare). Blocking: on a worker.
   */
  static FetchResult withoutAborted(FetchResult f) {
    java.nio.ByteBuffer bytes = f.batches().readBytes();
    AbortedBatches aborted = AbortedBatches.of(f.abortedTransactions());
    java.nio.ByteBuffer kept = java.nio.ByteBuffer.allocate(bytes.remaining());
    long next = -1;
    for (io.sluice.record.RecordBatch batch : io.sluice.record.RecordBatches.split(bytes.duplicate())) {
      next = Math.max(next, batch.nextOffset());
      if (!aborted.skip(batch)) {
        kept.put(batch.buffer());
      }
    }
    return new FetchResult(f.tp(), f.highWatermark(), f.logStartOffset(), next,
        io.sluice.api.Batches.wrap(java.util.Arrays.copyOf(kept.array(), kept.position())));
  }

  private static Future<Raw> fetchAll(BrokerService service, Request r) {
    int perPartition = Math.max(1, r.maxBytes() / r.positions().size());
    Map<TopicPartition, Future<FetchResult>> fetches = new LinkedHashMap<>();
    r.positions().forEach((tp, offset) ->
        fetches.put(tp, service.fetch(RequestContext.SELF, new FetchRequest(tp, offset, perPartition, 0, 0,
            r.readCommitted(), r.clientRack()))));
    return Future.join(new ArrayList<>(fetches.values())).transform(ignored -> raw(fetches));
  }

  /** The fetches' results; fails with the first failure other than OFFSET_OUT_OF_RANGE. */
  private static Future<Raw> raw(Map<TopicPartition, Future<FetchResult>> fetches) {
    Map<TopicPartition, FetchResult> fetched = new LinkedHashMap<>();
    List<TopicPartition> outOfRange = new ArrayList<>();
    for (var e : fetches.entrySet()) {
      if (e.getValue().succeeded()) {
        fetched.put(e.getKey(), e.getValue().result());
      } else if (e.getValue().cause() instanceof SluiceException se && se.errorCode() == ErrorCode.OFFSET_OUT_OF_RANGE) {
        outOfRange.add(e.getKey());
      } else {
        return Future.failedFuture(e.getValue().cause());
      }
    }
    return Future.succeededFuture(new Raw(fetched, outOfRange));
  }

  /** Decodes on a worker (a file region is read from disk) the records at or after each position, within the limit. */
  private static Future<Result> decode(WorkerExecutor workers, Request r, Raw raw) {
    return workers.executeBlocking(() -> {
      Map<TopicPartition, List<Record>> out = new LinkedHashMap<>();
      Map<TopicPartition, Long> skipped = new LinkedHashMap<>();
      int budget = r.maxRecords();
      for (var e : raw.fetched().entrySet()) {
        if (budget <= 0) {
          continue;
        }
        long position = r.positions().get(e.getKey());
        FetchedRecords.Decoded decoded = FetchedRecords.decode(e.getValue(), position, r.readCommitted());
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
      return new Result(out, raw.outOfRange(), skipped);
    }, false);
  }

  /** Parks a fetch on every partition; completes with the first that brings batches, or empty when all expired. */
  private static Future<Raw> firstWithData(BrokerService service, Request r) {
    Promise<Raw> first = Promise.promise();
    AtomicInteger pending = new AtomicInteger(r.positions().size());
    int perPartition = Math.max(1, r.maxBytes() / r.positions().size());
    r.positions().forEach((tp, offset) -> service.fetch(RequestContext.SELF,
            new FetchRequest(tp, offset, perPartition, Math.max(1, r.minBytes()), r.timeoutMs(), r.readCommitted(),
                r.clientRack()))
        .transform(ar -> raw(Map.of(tp, ar.succeeded() ? Future.succeededFuture(ar.result())
            : Future.<FetchResult>failedFuture(ar.cause()))))
        .onComplete(ar -> {
          boolean last = pending.decrementAndGet() == 0;
          if (ar.succeeded() && ar.result().hasData()) {
            first.tryComplete(ar.result());
          } else if (ar.failed()) {
            first.tryFail(ar.cause());
          } else if (last) {
            first.tryComplete(Raw.EMPTY);
          }
        }));
    return first.future();
  }
}
