package io.sluice.broker.testing;

import io.sluice.record.CompressionType;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds and reads v2 batches for tests. */
public final class TestBatches {
  private TestBatches() {
  }

  /** One uncompressed batch holding {@code values} as records with timestamp {@code timestampMs}. */
  public static ByteBuffer batch(long timestampMs, String... values) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE);
    for (String v : values) {
      b.append(timestampMs, null, v.getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  public static ByteBuffer batch(String... values) {
    return batch(System.currentTimeMillis(), values);
  }

  /** Every record in {@code batches} (whole v2 batches back to back), in order. */
  public static List<Record> records(ByteBuffer batches) {
    List<Record> out = new ArrayList<>();
    ByteBuffer buf = batches.duplicate();
    while (buf.remaining() >= RecordBatch.HEADER_SIZE) {
      RecordBatch batch = RecordBatch.wrap(buf);
      int size = batch.sizeInBytes();
      ByteBuffer one = buf.slice(buf.position(), size);
      out.addAll(RecordBatch.wrap(one).records());
      buf.position(buf.position() + size);
    }
    return out;
  }

  public static String value(Record r) {
    return new String(r.value(), StandardCharsets.UTF_8);
  }

  /** "offset=value" for each record, handy in assertions. */
  public static List<String> offsetsAndValues(ByteBuffer batches) {
    return records(batches).stream().map(r -> r.offset() + "=" + value(r)).toList();
  }
}
