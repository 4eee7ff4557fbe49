package io.sluice.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * Rewrites one v2 batch keeping only some of its records, as log compaction does (Kafka's
 * {@code MemoryRecords.filterTo}). What a reader relies on is kept: the base offset, the last offset delta (so
 * the batch still spans its original offsets and a reader's next offset is unchanged), every record's offset
 * delta and timestamp, the partition leader epoch, producer id, epoch and base sequence, timestamp type,
 * compression codec and max timestamp. Only the record count, the length and the CRC change. Such a batch is
 * valid for {@link RecordBatch#ensureValid()} and iteration, but not for {@link RecordBatch#validateRecords()},
 * which insists on contiguous deltas as a producer writes them: compacted batches are only ever appended as a
 * follower (which does not run that check).
 *
 * <p>An <i>empty</i> batch (no records, same offset span) is written uncompressed; compaction keeps one at the
 * end of a cleaned segment so the segment still ends where it did.
 *
 * <p>Stateless and thread-safe.
 */
public final class RetainedBatch {
  private RetainedBatch() {
  }

  /**
   * Filters {@code batch}.
   *
   * @param keep which records stay
   * @param keepEmpty whether to return an empty batch when no record stays (else null)
   * @return {@code batch}'s own bytes when every record stays, null or an empty batch when none does, otherwise
   *     a new batch; each positioned at 0
   */
  public static ByteBuffer retain(RecordBatch batch, Predicate<Record> keep, boolean keepEmpty) {
    List<Record> all = batch.records();
    List<Record> kept = new ArrayList<>(all.size());
    for (Record r : all) {
      if (keep.test(r)) {
        kept.add(r);
      }
    }
    if (kept.size() == all.size() && !all.isEmpty()) {
      return batch.buffer();
    }
    if (kept.isEmpty() && !keepEmpty) {
      return null;
    }
    return encode(batch, kept, batch.baseTimestamp(), 0);
  }

  /**
   * {@code batch} with every record, stamped with Kafka's delete horizon ({@link RecordBatch#deleteHorizonMs}):
   * the base timestamp becomes {@code deleteHorizonMs} and the records' timestamp deltas are rewritten relative to
   * it, so every record keeps its timestamp.
   */
  public static ByteBuffer withDeleteHorizon(RecordBatch batch, long deleteHorizonMs) {
    return encode(batch, batch.records(), deleteHorizonMs, RecordBatch.DELETE_HORIZON_FLAG_MASK);
  }

  private static ByteBuffer encode(RecordBatch original, List<Record> kept, long baseTimestamp, int setAttributes) {
    CompressionType compression = kept.isEmpty() ? CompressionType.NONE : original.compressionType();
    boolean logAppendTime = original.timestampType() == TimestampType.LOG_APPEND_TIME;
    GrowableBytes records = new GrowableBytes(RecordBatch.HEADER_SIZE + 256);
    records.skip(RecordBatch.HEADER_SIZE);
    for (Record r : kept) {
      // a LOG_APPEND_TIME batch's records all read maxTimestamp; their stored deltas do not matter
      long timestampDelta = logAppendTime ? 0 : r.timestamp() - baseTimestamp;
      writeRecord(records, timestampDelta, (int) (r.offset() - original.baseOffset()), r);
    }
    GrowableBytes out = records;
    if (compression != CompressionType.NONE) {
      int uncompressed = records.size() - RecordBatch.HEADER_SIZE;
      out = new GrowableBytes(RecordBatch.HEADER_SIZE + uncompressed / 2 + 16);
      out.skip(RecordBatch.HEADER_SIZE);
      Compression.compress(compression, records.array(), RecordBatch.HEADER_SIZE, uncompressed, out);
    }
    ByteBuffer batch = out.toByteBuffer();
    ByteBuffer header = original.buffer().limit(RecordBatch.HEADER_SIZE);
    batch.put(0, header, 0, RecordBatch.HEADER_SIZE);
    int attributes = (original.attributes() & ~RecordBatch.COMPRESSION_CODEC_MASK) | compression.id | setAttributes;
    batch.putInt(RecordBatch.LENGTH_OFFSET, batch.limit() - RecordBatch.LOG_OVERHEAD);
    batch.putLong(RecordBatch.BASE_TIMESTAMP_OFFSET, baseTimestamp);
    batch.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) attributes);
    batch.putInt(RecordBatch.RECORDS_COUNT_OFFSET, kept.size());
    CRC32C crc = new CRC32C();
    crc.update(out.array(), RecordBatch.ATTRIBUTES_OFFSET, batch.limit() - RecordBatch.ATTRIBUTES_OFFSET);
    batch.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
    return batch;
  }

  /** One record in Kafka's framing (see {@link RecordCursor}), with the given deltas. */
  private static void writeRecord(GrowableBytes out, long timestampDelta, int offsetDelta, Record r) {
    List<Header> headers = r.headers();
    byte[][] headerKeys = new byte[headers.size()][];
    long size = 1 + ByteUtils.sizeOfVarlong(timestampDelta) + ByteUtils.sizeOfVarint(offsetDelta)
        + sizeOf(r.key()) + sizeOf(r.value()) + ByteUtils.sizeOfVarint(headers.size());
    for (int h = 0; h < headers.size(); h++) {
      headerKeys[h] = headers.get(h).key().getBytes(StandardCharsets.UTF_8);
      size += sizeOf(headerKeys[h]) + sizeOf(headers.get(h).value());
    }
    int bodySize = (int) size;
    out.ensureRoom(ByteUtils.sizeOfVarint(bodySize) + bodySize);
    out.writeVarint(bodySize);
    out.write(0);
    out.writeVarlong(timestampDelta);
    out.writeVarint(offsetDelta);
    out.writeNullableBytes(r.key());
    out.writeNullableBytes(r.value());
    out.writeVarint(headers.size());
    for (int h = 0; h < headers.size(); h++) {
      out.writeNullableBytes(headerKeys[h]);
      out.writeNullableBytes(headers.get(h).value());
    }
  }

  private static long sizeOf(byte[] bytes) {
    return bytes == null ? 1 : ByteUtils.sizeOfVarint(bytes.length) + (long) bytes.length;
  }
}
