package io.sluice.api;

import io.sluice.api.FetchResult;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Decodes what {@link io.sluice.api.BrokerService#fetch} returned into records. */
public final class FetchedRecords {
  private FetchedRecords() {
  }

  /** Records and where to read next. */
  public record Decoded(List<Record> records, long nextOffset) {
  }

  /**
   * The records at or after {@code fromOffset}, skipping control batches. Blocking (a file slice is read from
   * disk) and CPU-bound (decompression): call it on a worker.
   */
  public static Decoded decode(FetchResult result, long fromOffset) {
    return decode(result, fromOffset, false);
  }

  /**
   * As {@link #decode(FetchResult, long)}; {@code readCommitted} also leaves out the records of the aborted
   * transactions the result names (Kafka's consumer algorithm, {@link io.sluice.record.AbortedBatches}).
   */
  public static Decoded decode(FetchResult result, long fromOffset, boolean readCommitted) {
    io.sluice.record.AbortedBatches aborted = io.sluice.record.AbortedBatches.of(
        readCommitted ? result.abortedTransactions() : java.util.List.of());
    ByteBuffer bytes = result.batches().readBytes();
    List<Record> records = new ArrayList<>();
    long next = fromOffset;
    for (RecordBatch batch : RecordBatches.split(bytes)) {
      next = Math.max(next, batch.nextOffset());
      // Every batch goes through the filter in order (those before fromOffset may open an aborted transaction).
      if (aborted.skip(batch) || batch.nextOffset() <= fromOffset) {
        continue;
      }
      for (Record r : batch.records()) {
        if (r.offset() >= fromOffset) {
          records.add(r);
        }
      }
    }
    return new Decoded(records, next);
  }
}
