package io.sluice.record;

import io.sluice.errors.CorruptRecordException;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.SluiceException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * A read view over one Kafka RecordBatch v2 ("magic 2") held in a {@link ByteBuffer}, byte for byte as Kafka
 * stores and ships it. All multi-byte fields are big-endian.
 *
 * <pre>
 * offset size field
 *  0     8    baseOffset            first offset of the batch (outside the CRC: the broker assigns it)
 *  8     4    batchLength           bytes after this field, i.e. sizeInBytes - 12
 * 12     4    partitionLeaderEpoch  (outside the CRC: the broker assigns it)
 * 16     1    magic                 always 2
 * 17     4    crc                   CRC-32C of bytes [21, end), unsigned
 * 21     2    attributes            bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control,
 *                                    6 delete horizon (baseTimestamp is then the batch's delete horizon);
 *                                    bit 8 sequenced (Sluice's own, see SEQUENCED_FLAG_MASK)
 * 23     4    lastOffsetDelta       recordCount - 1 for batches written by a producer
 * 27     8    baseTimestamp
 * 35     8    maxTimestamp
 * 43     8    producerId            -1 when not idempotent
 * 51     2    producerEpoch
 * 53     4    baseSequence
 * 57     4    recordCount
 * 61     ...  records               varint-framed records, compressed as a whole when compression != none
 * </pre>
 *
 * <p>Each record inside is framed as {@link RecordCursor} describes. A record's offset is
 * {@code baseOffset + offsetDelta}; its timestamp is {@code baseTimestamp + timestampDelta}, except in a
 * LOG_APPEND_TIME batch, where every record's timestamp is {@code maxTimestamp}.
 *
 * <p>Checking is in two levels: {@link #ensureValid()} checks the frame and the CRC; {@link #validateRecords()}
 * walks every record (decompressing first) and checks counts, framing, offset deltas and the max timestamp.
 *
 * <p>The view is positioned on {@code buffer.position()} of the buffer given to {@link #wrap}; it never moves the
 * buffer's position. Not thread-safe if a caller mutates the header (offset and epoch assignment); reads of an
 * unchanging buffer are.
 */
public final class RecordBatch {
  public static final byte MAGIC = 2;
  public static final int BASE_OFFSET_OFFSET = 0;
  public static final int LENGTH_OFFSET = 8;
  public static final int PARTITION_LEADER_EPOCH_OFFSET = 12;
  public static final int MAGIC_OFFSET = 16;
  public static final int CRC_OFFSET = 17;
  public static final int ATTRIBUTES_OFFSET = 21;
  public static final int LAST_OFFSET_DELTA_OFFSET = 23;
  public static final int BASE_TIMESTAMP_OFFSET = 27;
  public static final int MAX_TIMESTAMP_OFFSET = 35;
  public static final int PRODUCER_ID_OFFSET = 43;
  public static final int PRODUCER_EPOCH_OFFSET = 51;
  public static final int BASE_SEQUENCE_OFFSET = 53;
  public static final int RECORDS_COUNT_OFFSET = 57;
  public static final int RECORDS_OFFSET = 61;
  /** Size of the header that precedes the records. */
  public static final int HEADER_SIZE = RECORDS_OFFSET;
  /** Bytes before the length field's count starts: baseOffset and batchLength. */
  public static final int LOG_OVERHEAD = 12;

  public static final int COMPRESSION_CODEC_MASK = 0x07;
  public static final int TIMESTAMP_TYPE_MASK = 0x08;
  public static final int TRANSACTIONAL_FLAG_MASK = 0x10;
  public static final int CONTROL_FLAG_MASK = 0x20;
  /**
   * Kafka's delete horizon bit (KIP-534): set by log compaction on a batch it has decided to remove later (here: a
   * transaction marker whose transaction's data is gone); {@code baseTimestamp} then holds the time after which it
   * may go, and the records' timestamp deltas are relative to it.
   */
  public static final int DELETE_HORIZON_FLAG_MASK = 0x40;
  /**
   * Sluice's own attribute bit (Kafka leaves bits 7 to 15 unused): the batch is a <i>sequenced</i> producer's. Each
   * of its records carries the header {@link #SEQUENCE_HEADER}, a decimal 64-bit sequence rising along the batch
   * (gaps allowed), and the partition's leader writes only records above the producer's last sequence there.
   */
  public static final int SEQUENCED_FLAG_MASK = 0x100;
  /** The header naming a sequenced producer's record's sequence (decimal ASCII). */
  public static final String SEQUENCE_HEADER = "sluice.seq";
  /**
   * The header of a <i>compaction bound</i> marker in a compacted log (a stream task writes one to its changelog
   * after each checkpoint): a decimal sequence {@code S}. Once the cleaner has seen it, records whose
   * {@link #SEQUENCE_HEADER} is at or above {@code S} no longer supersede older records of their key.
   */
  public static final String COMPACTION_BOUND_HEADER = "sluice.compaction.bound";

  public static final long NO_PRODUCER_ID = -1L;
  public static final short NO_PRODUCER_EPOCH = -1;
  public static final int NO_SEQUENCE = -1;
  /**
   * How many of an idempotent producer's latest batches a partition remembers (Kafka's 5): a resend of one of them is
   * answered with its original offsets, a resend of an older one is refused as out of sequence. So a producer may
   * have at most this many batches of a partition sent and unanswered, or a lost answer leaves it resending a batch
   * the broker has written but no longer recognises.
   */
  public static final int IDEMPOTENT_WINDOW_BATCHES = 5;
  public static final int NO_PARTITION_LEADER_EPOCH = -1;
  public static final long NO_TIMESTAMP = -1L;

  private final ByteBuffer buffer;
  private final int start;

  private RecordBatch(ByteBuffer buffer) {
    this.buffer = buffer;
    this.start = buffer.position();
  }

  /**
   * Wraps the batch that starts at {@code buffer.position()}. Only checks that a whole header is there; call
   * {@link #ensureValid()} before trusting anything else.
   */
  public static RecordBatch wrap(ByteBuffer buffer) {
    if (buffer.remaining() < HEADER_SIZE) {
      throw new CorruptRecordException(
          "Record batch header needs " + HEADER_SIZE + " bytes, only " + buffer.remaining() + " remain");
    }
    return new RecordBatch(buffer);
  }

  public long baseOffset() {
    return buffer.getLong(start + BASE_OFFSET_OFFSET);
  }

  public int batchLength() {
    return buffer.getInt(start + LENGTH_OFFSET);
  }

  /** The whole batch's size on disk and on the wire. */
  public int sizeInBytes() {
    return LOG_OVERHEAD + batchLength();
  }

  public int partitionLeaderEpoch() {
    return buffer.getInt(start + PARTITION_LEADER_EPOCH_OFFSET);
  }

  public byte magic() {
    return buffer.get(start + MAGIC_OFFSET);
  }

  /** The stored CRC-32C, unsigned. */
  public long checksum() {
    return Integer.toUnsignedLong(buffer.getInt(start + CRC_OFFSET));
  }

  public short attributes() {
    return buffer.getShort(start + ATTRIBUTES_OFFSET);
  }

  public CompressionType compressionType() {
    return CompressionType.forId(attributes() & COMPRESSION_CODEC_MASK);
  }

  public TimestampType timestampType() {
    return (attributes() & TIMESTAMP_TYPE_MASK) == 0 ? TimestampType.CREATE_TIME : TimestampType.LOG_APPEND_TIME;
  }

  public boolean isTransactional() {
    return (attributes() & TRANSACTIONAL_FLAG_MASK) != 0;
  }

  public boolean isControlBatch() {
    return (attributes() & CONTROL_FLAG_MASK) != 0;
  }

  /** The delete horizon compaction stamped on this batch ({@link #DELETE_HORIZON_FLAG_MASK}), or NO_TIMESTAMP. */
  public long deleteHorizonMs() {
    return (attributes() & DELETE_HORIZON_FLAG_MASK) != 0 ? baseTimestamp() : NO_TIMESTAMP;
  }

  /** Whether a sequenced producer wrote the batch ({@link #SEQUENCED_FLAG_MASK}). */
  public boolean isSequenced() {
    return (attributes() & SEQUENCED_FLAG_MASK) != 0 && producerId() >= 0;
  }

  public int lastOffsetDelta() {
    return buffer.getInt(start + LAST_OFFSET_DELTA_OFFSET);
  }

  public long lastOffset() {
    return baseOffset() + lastOffsetDelta();
  }

  public long nextOffset() {
    return lastOffset() + 1;
  }

  public long baseTimestamp() {
    return buffer.getLong(start + BASE_TIMESTAMP_OFFSET);
  }

  public long maxTimestamp() {
    return buffer.getLong(start + MAX_TIMESTAMP_OFFSET);
  }

  public long producerId() {
    return buffer.getLong(start + PRODUCER_ID_OFFSET);
  }

  public short producerEpoch() {
    return buffer.getShort(start + PRODUCER_EPOCH_OFFSET);
  }

  public int baseSequence() {
    return buffer.getInt(start + BASE_SEQUENCE_OFFSET);
  }

  public int recordCount() {
    return buffer.getInt(start + RECORDS_COUNT_OFFSET);
  }

  /** Sets the base offset; it lies outside the CRC, so the batch stays valid. */
  public void setBaseOffset(long offset) {
    buffer.putLong(start + BASE_OFFSET_OFFSET, offset);
  }

  /** Sets the leader epoch; it lies outside the CRC, so the batch stays valid. */
  public void setPartitionLeaderEpoch(int epoch) {
    buffer.putInt(start + PARTITION_LEADER_EPOCH_OFFSET, epoch);
  }

  /**
   * Restamps the producer epoch and base sequence, which the CRC covers, and rewrites the CRC: a producer moves the
   * batches it has not had written yet to a new epoch after the partition refused an earlier one for good.
   */
  public void setProducerEpochAndBaseSequence(short epoch, int baseSequence) {
    buffer.putShort(start + PRODUCER_EPOCH_OFFSET, epoch);
    buffer.putInt(start + BASE_SEQUENCE_OFFSET, baseSequence);
    buffer.putInt(start + CRC_OFFSET, (int) computeChecksum());
  }

  /** A view of exactly this batch's bytes, positioned at 0, sharing content with the wrapped buffer. */
  public ByteBuffer buffer() {
    return buffer.slice(start, sizeInBytes());
  }

  /** CRC-32C over [attributes, end of batch), as Kafka computes it. */
  public long computeChecksum() {
    CRC32C crc = new CRC32C();
    crc.update(buffer.slice(start + ATTRIBUTES_OFFSET, sizeInBytes() - ATTRIBUTES_OFFSET));
    return crc.getValue();
  }

  /**
   * Checks the frame: magic 2, a length that covers the header and fits the buffer, a CRC that matches, a
   * non-negative record count and a last offset delta that is not negative. Record-level checks are separate.
   *
   * @throws CorruptRecordException naming what was wrong
   */
  public void ensureValid() {
    if (magic() != MAGIC) {
      throw new CorruptRecordException("Record batch has magic " + magic() + ", only magic 2 is supported");
    }
    int length = batchLength();
    if (length < HEADER_SIZE - LOG_OVERHEAD) {
      throw new CorruptRecordException("Record batch length " + length + " is smaller than the header");
    }
    if (length > buffer.limit() - start - LOG_OVERHEAD) {
      throw new CorruptRecordException("Record batch length " + length + " exceeds the "
          + (buffer.limit() - start - LOG_OVERHEAD) + " bytes available");
    }
    if (recordCount() < 0 || lastOffsetDelta() < 0) {
      throw new CorruptRecordException("Record batch has record count " + recordCount()
          + " and last offset delta " + lastOffsetDelta());
    }
    long computed = computeChecksum();
    if (computed != checksum()) {
      throw new CorruptRecordException("Record batch CRC mismatch: stored " + checksum() + ", computed " + computed);
    }
  }

  /**
   * Restamps the batch's timestamp type and max timestamp, e.g. to LOG_APPEND_TIME with the broker's clock, and
   * recomputes the CRC (both fields lie inside it). Records are untouched: readers of a LOG_APPEND_TIME batch
   * take every record's timestamp from {@code maxTimestamp}.
   */
  public void setMaxTimestamp(TimestampType type, long maxTimestamp) {
    int attributes = attributes() & ~TIMESTAMP_TYPE_MASK;
    if (type == TimestampType.LOG_APPEND_TIME) {
      attributes |= TIMESTAMP_TYPE_MASK;
    }
    buffer.putShort(start + ATTRIBUTES_OFFSET, (short) attributes);
    buffer.putLong(start + MAX_TIMESTAMP_OFFSET, maxTimestamp);
    buffer.putInt(start + CRC_OFFSET, (int) computeChecksum());
  }

  /**
   * This batch with its records section in codec {@code target} (Kafka's broker-side {@code compression.type}): the
   * header is kept but for the codec bits, the length and the CRC, so offsets, sequences and timestamps stay.
   *
   * @return this batch's own bytes when it is in {@code target} already, else a new batch positioned at 0
   */
  public ByteBuffer recompressed(CompressionType target) {
    if (compressionType() == target) {
      return buffer();
    }
    ByteBuffer plain = recordsSection(defaultMaxDecompressedBytes());
    GrowableBytes out = new GrowableBytes(HEADER_SIZE + plain.remaining() + 16);
    out.skip(HEADER_SIZE);
    byte[] bytes = new byte[plain.remaining()];
    plain.duplicate().get(bytes);
    if (target == CompressionType.NONE) {
      out.write(bytes, 0, bytes.length);
    } else {
      Compression.compress(target, bytes, 0, bytes.length, out);
    }
    ByteBuffer batch = out.toByteBuffer();
    batch.put(0, buffer, start, HEADER_SIZE);
    batch.putInt(LENGTH_OFFSET, batch.limit() - LOG_OVERHEAD);
    batch.putShort(ATTRIBUTES_OFFSET, (short) ((attributes() & ~COMPRESSION_CODEC_MASK) | target.id));
    RecordBatch rebuilt = wrap(batch);
    batch.putInt(CRC_OFFSET, (int) rebuilt.computeChecksum());
    return batch;
  }

  /** The decoded records, decompressed with the default cap; see {@link #iterator(int)}. */
  public List<Record> records() {
    return records(defaultMaxDecompressedBytes());
  }

  /** The decoded records, decompressing at most {@code maxDecompressedBytes}; see {@link #iterator(int)}. */
  public List<Record> records(int maxDecompressedBytes) {
    Iterator<Record> it = iterator(maxDecompressedBytes);
    // The declared count is untrusted: do not let it size the list beyond what the bytes could hold.
    List<Record> records = new ArrayList<>(Math.max(0, Math.min(recordCount(), sizeInBytes() / 7 + 1)));
    while (it.hasNext()) {
      records.add(it.next());
    }
    return records;
  }

  /** Iterates the records, decompressed with the default cap; see {@link #iterator(int)}. */
  public Iterator<Record> iterator() {
    return iterator(defaultMaxDecompressedBytes());
  }

  /**
   * Iterates exactly {@link #recordCount()} records with absolute offsets and timestamps. A compressed batch is
   * decompressed up front. Offset deltas are taken as written; {@link #validateRecords()} checks them.
   *
   * @throws CorruptRecordException (from this call, {@code hasNext()} or {@code next()}) if the batch does not fit
   *     its buffer, does not decompress within {@code maxDecompressedBytes}, a record's framing is broken, the
   *     records end before the declared count, or bytes remain after it
   */
  public Iterator<Record> iterator(int maxDecompressedBytes) {
    return iterator(maxDecompressedBytes, Long.MIN_VALUE, Record::new);
  }

  /**
   * Builds a caller's own record type straight from the batch's bytes, one object per record: a reader that
   * decoded into {@link Record} and then copied its fields into its own type made two objects per record, which
   * showed in the client's read profile. Key, value and header arrays are fresh copies, handed to {@code factory}.
   * It must not return null: the iterator takes null for "nothing built yet", so it fails on one (a
   * {@link NullPointerException}) rather than skip the record.
   */
  @FunctionalInterface
  public interface RecordFactory<T> {
    T make(long offset, long timestamp, byte[] key, byte[] value, List<Header> headers);
  }

  /**
   * Iterates the records at or after {@code fromOffset}, each built by {@code factory}, decompressed with the
   * default cap. The records before {@code fromOffset} are still walked and their framing checked (a broken batch
   * fails as with {@link #iterator(int)}), but nothing is copied or built for them. {@code next()} returns non-null.
   */
  public <T> Iterator<T> iterator(long fromOffset, RecordFactory<T> factory) {
    return iterator(defaultMaxDecompressedBytes(), fromOffset, factory);
  }

  private <T> Iterator<T> iterator(int maxDecompressedBytes, long fromOffset, RecordFactory<T> factory) {
    int count = recordCount();
    RecordCursor cursor = new RecordCursor(recordsSection(maxDecompressedBytes));
    long baseOffset = baseOffset();
    long baseTimestamp = baseTimestamp();
    boolean logAppendTime = timestampType() == TimestampType.LOG_APPEND_TIME;
    long maxTimestamp = maxTimestamp();
    return new Iterator<>() {
      private T next;

      @Override
      public boolean hasNext() {
        while (next == null && cursor.index() + 1 < count) {
          nextRecord(cursor, count);
          long offset = baseOffset + cursor.offsetDelta;
          if (offset >= fromOffset) {
            long timestamp = logAppendTime ? maxTimestamp : baseTimestamp + cursor.timestampDelta;
            next = Objects.requireNonNull(cursor.build(offset, timestamp, factory), "a RecordFactory returned null");
          }
        }
        return next != null;
      }

      @Override
      public T next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        T r = next;
        next = null;
        return r;
      }
    };
  }

  /** Deep check with the default decompression cap; see {@link #validateRecords(int)}. */
  public long validateRecords() {
    return validateRecords(defaultMaxDecompressedBytes());
  }

  /**
   * Deep check of the records, as the broker does before appending a produced batch: decompresses (at most
   * {@code maxDecompressedBytes}) and walks every record without building it. Does not check the CRC: call
   * {@link #ensureValid()} first.
   *
   * @throws CorruptRecordException if framing or counts are wrong: a negative count, a record whose length
   *     does not frame it exactly, fewer records than declared, bytes left after the last one, bad header lengths
   * @throws InvalidRecordException if the batch is well framed but refused: no records, a control batch,
   *     a transactional batch without a producer id, a last offset delta other than {@code recordCount - 1},
   *     record {@code i} without offset delta {@code i}, or (CREATE_TIME)
   *     a {@code maxTimestamp} that is not the largest record timestamp
   * @return the smallest record timestamp (the largest is {@link #maxTimestamp()} for CREATE_TIME)
   * @throws SluiceException INVALID_TIMESTAMP if (CREATE_TIME) a record's timestamp is negative
   */
  public long validateRecords(int maxDecompressedBytes) {
    int count = recordCount();
    if (count < 0) {
      throw new CorruptRecordException("Record batch has negative record count " + count);
    }
    if (count == 0) {
      throw new InvalidRecordException("Record batch holds no records");
    }
    if (lastOffsetDelta() != count - 1) {
      throw new InvalidRecordException(
          "Record batch has last offset delta " + lastOffsetDelta() + " but " + count + " records");
    }
    if (isControlBatch()) {
      throw new InvalidRecordException("Record batch is a control batch; only a broker writes those");
    }
    if (isTransactional() && producerId() < 0) {
      throw new InvalidRecordException("Record batch is transactional without a producer id; a transactional"
          + " producer is an idempotent one");
    }
    RecordCursor cursor = new RecordCursor(recordsSection(maxDecompressedBytes));
    long baseTimestamp = baseTimestamp();
    long maxRecordTimestamp = Long.MIN_VALUE;
    long minRecordTimestamp = Long.MAX_VALUE;
    for (int i = 0; i < count; i++) {
      nextRecord(cursor, count);
      if (cursor.offsetDelta != i) {
        throw new InvalidRecordException("Record " + i + " has offset delta " + cursor.offsetDelta);
      }
      long timestamp = baseTimestamp + cursor.timestampDelta;
      if (timestampType() == TimestampType.CREATE_TIME && timestamp < 0) {
        requireValidTimestamp(timestamp, "Record " + i); // the message only for a refusal: this runs for every record
      }
      maxRecordTimestamp = Math.max(maxRecordTimestamp, timestamp);
      minRecordTimestamp = Math.min(minRecordTimestamp, timestamp);
    }
    if (timestampType() == TimestampType.CREATE_TIME && maxRecordTimestamp != maxTimestamp()) {
      throw new InvalidRecordException("Record batch has max timestamp " + maxTimestamp()
          + " but its largest record timestamp is " + maxRecordTimestamp);
    }
    return minRecordTimestamp;
  }

  /**
   * The rule for the timestamp of a produced record (create time), on every produce path: milliseconds since the
   * epoch, never negative (Kafka's "no timestamp" -1 included: a client that has no time leaves it to the broker).
   *
   * @throws SluiceException INVALID_TIMESTAMP naming {@code where}
   */
  public static void requireValidTimestamp(long timestampMs, String where) {
    if (timestampMs < 0) {
      throw new SluiceException(ErrorCode.INVALID_TIMESTAMP,
          where + " has timestamp " + timestampMs + "; a timestamp is milliseconds since the epoch, never negative");
    }
  }

  /** Advances to the next of {@code count} records; checks that the last one ends the section exactly. */
  private static void nextRecord(RecordCursor cursor, int count) {
    if (!cursor.hasRemaining()) {
      throw new CorruptRecordException(
          "Record batch declares " + count + " records but holds only " + (cursor.index() + 1));
    }
    cursor.next();
    if (cursor.index() == count - 1 && cursor.hasRemaining()) {
      throw new CorruptRecordException("Record batch has " + cursor.remaining()
          + " bytes after its " + count + " declared records");
    }
  }

  /** The records section, decompressed if need be, as a buffer of its own positioned at 0. */
  private ByteBuffer recordsSection(int maxDecompressedBytes) {
    int length = batchLength();
    if (length < HEADER_SIZE - LOG_OVERHEAD || length > buffer.limit() - start - LOG_OVERHEAD) {
      throw new CorruptRecordException("Record batch length " + length + " does not fit its buffer");
    }
    ByteBuffer section = buffer.slice(start + RECORDS_OFFSET, sizeInBytes() - RECORDS_OFFSET);
    return Compression.decompress(compressionType(), section, maxDecompressedBytes);
  }

  private int defaultMaxDecompressedBytes() {
    return Compression.defaultMaxDecompressedBytes(Math.max(0, batchLength() - (HEADER_SIZE - LOG_OVERHEAD)));
  }

  @Override
  public String toString() {
    return "RecordBatch(baseOffset=" + baseOffset() + ", lastOffset=" + lastOffset() + ", size=" + sizeInBytes()
        + ", count=" + recordCount() + ", compression=" + (attributes() & COMPRESSION_CODEC_MASK) + ")";
  }
}
