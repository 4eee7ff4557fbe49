package io.sluice.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Builds one v2 record batch (layout in {@link RecordBatch}) from appended records.
 *
 * <p>Record {@code i} gets offset delta {@code i}. The first record's timestamp becomes the batch's
 * {@code baseTimestamp}, each record stores its timestamp as a delta from it, and {@code maxTimestamp} is the
 * largest timestamp appended. Records are encoded as they are appended, straight into one growing array that
 * already has room for the header, so appending allocates nothing per record except for header keys' UTF-8
 * bytes. {@link #build()} compresses the records section if asked, fills in the header and the CRC-32C, and
 * ends the builder: appends after it throw.
 *
 * <p>Not thread-safe.
 */
public final class RecordBatchBuilder {
  private static final int DEFAULT_INITIAL_CAPACITY_BYTES = 1024;
  private static final byte[][] NO_HEADER_KEYS = new byte[0][];

  private final CompressionType compression;
  private final GrowableBytes records;
  private long baseOffset = 0;
  private int partitionLeaderEpoch = RecordBatch.NO_PARTITION_LEADER_EPOCH;
  private long producerId = RecordBatch.NO_PRODUCER_ID;
  private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
  private int baseSequence = RecordBatch.NO_SEQUENCE;
  private TimestampType timestampType = TimestampType.CREATE_TIME;
  private boolean sequenced;
  private boolean transactional;
  private boolean control;
  private int recordCount;
  private long baseTimestamp;
  private long maxTimestamp;
  private ByteBuffer built;

  public RecordBatchBuilder(CompressionType compression) {
    this(compression, DEFAULT_INITIAL_CAPACITY_BYTES);
  }

  /** As {@link #RecordBatchBuilder(CompressionType)}, sizing the buffer for the expected uncompressed bytes. */
  public RecordBatchBuilder(CompressionType compression, int initialCapacityBytes) {
    this.compression = Objects.requireNonNull(compression, "compression");
    this.records = new GrowableBytes(RecordBatch.HEADER_SIZE + initialCapacityBytes);
    records.skip(RecordBatch.HEADER_SIZE);
  }

  /**
   * As {@link #RecordBatchBuilder(CompressionType)}, writing into {@code buffer}, an array a producer reuses from
   * batch to batch (a new array per batch was most of what its collections copied). Its old contents are
   * overwritten: {@link #build()} writes every header byte and the records follow it. Past its length the builder
   * grows into a new array, as always; {@link #buffer()} tells which array the batch ended up in.
   */
  public RecordBatchBuilder(CompressionType compression, byte[] buffer) {
    this.compression = Objects.requireNonNull(compression, "compression");
    if (buffer.length < RecordBatch.HEADER_SIZE) {
      throw new IllegalArgumentException("A batch buffer needs at least " + RecordBatch.HEADER_SIZE + " bytes");
    }
    this.records = new GrowableBytes(buffer);
    records.skip(RecordBatch.HEADER_SIZE);
  }

  /**
   * The array the records are written into (the one given, or the one it grew into); {@link #build()}'s bytes are
   * in it unless compressed. Whoever reuses it must not before the built bytes are no longer read.
   */
  public byte[] buffer() {
    return records.array();
  }

  public RecordBatchBuilder baseOffset(long baseOffset) {
    this.baseOffset = baseOffset;
    return this;
  }

  public RecordBatchBuilder partitionLeaderEpoch(int partitionLeaderEpoch) {
    this.partitionLeaderEpoch = partitionLeaderEpoch;
    return this;
  }

  /** Idempotent-producer identity; all three default to "none" (-1). */
  public RecordBatchBuilder producer(long producerId, short producerEpoch, int baseSequence) {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    return this;
  }

  /**
   * Marks the batch as a sequenced producer's ({@link RecordBatch#SEQUENCED_FLAG_MASK}): set a producer id with
   * {@link #producer}, and give every record the header {@link RecordBatch#SEQUENCE_HEADER} with rising sequences.
   */
  public RecordBatchBuilder sequenced() {
    this.sequenced = true;
    return this;
  }

  /** Marks the batch as a transactional producer's (Kafka's attribute bit 4); set its id with {@link #producer}. */
  public RecordBatchBuilder transactional() {
    this.transactional = true;
    return this;
  }

  /**
   * Marks the batch as a control batch (Kafka's attribute bit 5, with bit 4: only a transaction's marker is one);
   * its single record is {@link RecordBatch#controlKey}/{@link RecordBatch#controlValue}.
   */
  public RecordBatchBuilder control() {
    this.transactional = true;
    this.control = true;
    return this;
  }

  public RecordBatchBuilder timestampType(TimestampType timestampType) {
    this.timestampType = Objects.requireNonNull(timestampType, "timestampType");
    return this;
  }

  /**
   * Appends a record. {@code key} and {@code value} may be null; {@code headers} may be null or empty. The arrays
   * are encoded now, so the caller may reuse them afterwards.
   *
   * @throws IllegalStateException after {@link #build()}
   */
  public RecordBatchBuilder append(long timestamp, byte[] key, byte[] value, List<Header> headers) {
    if (built != null) {
      throw new IllegalStateException("Cannot append to a record batch that has been built");
    }
    if (recordCount == 0) {
      baseTimestamp = timestamp;
      maxTimestamp = timestamp;
    } else {
      maxTimestamp = Math.max(maxTimestamp, timestamp);
    }
    int headerCount = headers == null ? 0 : headers.size();
    byte[][] headerKeys = encodeHeaderKeys(headers, headerCount);
    long timestampDelta = timestamp - baseTimestamp;
    int bodySize = bodySize(timestampDelta, recordCount, key, value, headers, headerKeys);
    records.ensureRoom(ByteUtils.sizeOfVarint(bodySize) + bodySize);
    records.writeVarint(bodySize);
    records.write(0); // record attributes: none defined
    records.writeVarlong(timestampDelta);
    records.writeVarint(recordCount);
    records.writeNullableBytes(key);
    records.writeNullableBytes(value);
    records.writeVarint(headerCount);
    for (int h = 0; h < headerCount; h++) {
      records.writeNullableBytes(headerKeys[h]);
      records.writeNullableBytes(headers.get(h).value());
    }
    recordCount++;
    return this;
  }

  private static byte[][] encodeHeaderKeys(List<Header> headers, int headerCount) {
    if (headerCount == 0) {
      return NO_HEADER_KEYS;
    }
    byte[][] keys = new byte[headerCount][];
    for (int h = 0; h < headerCount; h++) {
      keys[h] = headers.get(h).key().getBytes(StandardCharsets.UTF_8);
    }
    return keys;
  }

  /** Size of a record after its length field; the length must be known before the body is written. */
  private static int bodySize(
      long timestampDelta, int offsetDelta, byte[] key, byte[] value, List<Header> headers, byte[][] headerKeys) {
    long size = 1 + ByteUtils.sizeOfVarlong(timestampDelta) + ByteUtils.sizeOfVarint(offsetDelta)
        + sizeOfNullableBytes(key) + sizeOfNullableBytes(value) + ByteUtils.sizeOfVarint(headerKeys.length);
    for (int h = 0; h < headerKeys.length; h++) {
      size += sizeOfNullableBytes(headerKeys[h]) + sizeOfNullableBytes(headers.get(h).value());
    }
    if (size > GrowableBytes.MAX_ARRAY_SIZE - RecordBatch.HEADER_SIZE) {
      throw new IllegalArgumentException("Record of " + size + " bytes is too large for a batch");
    }
    return (int) size;
  }

  private static long sizeOfNullableBytes(byte[] bytes) {
    return bytes == null ? 1 : ByteUtils.sizeOfVarint(bytes.length) + (long) bytes.length;
  }

  public int recordCount() {
    return recordCount;
  }

  /** Size of the batch so far without compression: header plus encoded records. An upper-bound estimate. */
  public int estimatedSizeInBytes() {
    return records.size();
  }

  /**
   * Finishes the batch: compresses the records section if a codec was chosen, writes the header and CRC. Calling
   * it again returns the same bytes in a new buffer view.
   *
   * @return the whole batch, positioned at 0, big-endian
   * @throws IllegalStateException if no record was appended
   */
  public ByteBuffer build() {
    if (built == null) {
      if (recordCount == 0) {
        throw new IllegalStateException("Cannot build a record batch with no records");
      }
      built = encode();
    }
    return built.duplicate();
  }

  private ByteBuffer encode() {
    GrowableBytes out = records;
    if (compression != CompressionType.NONE) {
      int uncompressed = records.size() - RecordBatch.HEADER_SIZE;
      out = new GrowableBytes(RecordBatch.HEADER_SIZE + uncompressed / 2);
      out.skip(RecordBatch.HEADER_SIZE);
      Compression.compress(compression, records.array(), RecordBatch.HEADER_SIZE, uncompressed, out);
    }
    ByteBuffer batch = out.toByteBuffer();
    writeHeader(batch);
    CRC32C crc = new CRC32C();
    crc.update(out.array(), RecordBatch.ATTRIBUTES_OFFSET, batch.limit() - RecordBatch.ATTRIBUTES_OFFSET);
    batch.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
    return batch;
  }

  private void writeHeader(ByteBuffer batch) {
    int attributes = compression.id;
    if (timestampType == TimestampType.LOG_APPEND_TIME) {
      attributes |= RecordBatch.TIMESTAMP_TYPE_MASK;
    }
    if (transactional) {
      attributes |= RecordBatch.TRANSACTIONAL_FLAG_MASK;
    }
    if (sequenced) {
      attributes |= RecordBatch.SEQUENCED_FLAG_MASK;
    }
    if (control) {
      attributes |= RecordBatch.CONTROL_FLAG_MASK;
    }
    batch.putLong(RecordBatch.BASE_OFFSET_OFFSET, baseOffset);
    batch.putInt(RecordBatch.LENGTH_OFFSET, batch.limit() - RecordBatch.LOG_OVERHEAD);
    batch.putInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, partitionLeaderEpoch);
    batch.put(RecordBatch.MAGIC_OFFSET, RecordBatch.MAGIC);
    batch.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) attributes);
    batch.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, recordCount - 1);
    batch.putLong(RecordBatch.BASE_TIMESTAMP_OFFSET, baseTimestamp);
    batch.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, maxTimestamp);
    batch.putLong(RecordBatch.PRODUCER_ID_OFFSET, producerId);
    batch.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, producerEpoch);
    batch.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, baseSequence);
    batch.putInt(RecordBatch.RECORDS_COUNT_OFFSET, recordCount);
  }
}
