package io.sluice.http;

import io.sluice.http.ProduceRequest.OutgoingRecord;
import io.sluice.record.CompressionType;
import io.sluice.record.Partitioner;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** The HTTP layer's only use of the record codec: build one batch per partition, decode fetched batches. */
final class RecordCodec {
  private RecordCodec() {
  }

  /** One uncompressed v2 batch holding {@code records} in order (base offset 0; the broker assigns it). */
  static ByteBuffer encode(List<OutgoingRecord> records) {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE);
    for (OutgoingRecord r : records) {
      builder.append(r.timestamp(), r.key(), r.value(), r.headers());
    }
    return builder.build();
  }

  /** Kafka's default partitioner: murmur2 of the key bytes. */
  static int partitionForKey(byte[] key, int partitions) {
    return Partitioner.partitionForKey(key, partitions);
  }

  /**
   * The records of the batches in {@code batches} at or after {@code fromOffset} (a fetch's first batch may
   * begin before the offset asked for), skipping control batches. Decompresses: CPU work.
   */
  static List<Record> decode(ByteBuffer batches, long fromOffset) {
    List<Record> records = new ArrayList<>();
    for (RecordBatch batch : BatchFrames.split(batches)) {
      if (batch.isControlBatch() || batch.nextOffset() <= fromOffset) {
        continue;
      }
      for (Record r : batch.records()) {
        if (r.offset() >= fromOffset) {
          records.add(r);
        }
      }
    }
    return records;
  }
}
