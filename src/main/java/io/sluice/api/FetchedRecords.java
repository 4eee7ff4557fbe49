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
    ByteBuffer bytes = result.batches().readBytes();
    List<Record> records = new ArrayList<>();
    long next = fromOffset;
    for (RecordBatch batch : RecordBatches.split(bytes)) {
      next = Math.max(next, batch.nextOffset());
      if (batch.isControlBatch() || batch.nextOffset() <= fromOffset) {
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
