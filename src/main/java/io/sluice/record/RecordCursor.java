package io.sluice.record;

import io.sluice.errors.CorruptRecordException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Walks the records section of a v2 batch one record at a time, checking each record's framing without
 * allocating: {@link #next()} leaves the current record's fields in this cursor, and {@link #build} makes the
 * caller's record only when a caller wants one.
 *
 * <pre>
 * record:  length varint             bytes after this field, up to the end of the headers
 *          attributes int8           unused, written as 0
 *          timestampDelta varlong    from the batch's baseTimestamp
 *          offsetDelta varint        from the batch's baseOffset
 *          keyLength varint, key     -1 for a null key
 *          valueLength varint, value -1 for a null value
 *          headerCount varint, headers
 * header:  keyLength varint, key     UTF-8, never null
 *          valueLength varint, value -1 for a null value
 * </pre>
 *
 * <p>Invariant after {@code next()} returns: the record's {@code length} covered exactly its fields, with no bytes
 * short and none left over, and every key, value and header lay inside it. Not thread-safe; one cursor per walk.
 */
final class RecordCursor {
  /** attributes plus five one-byte varints (timestamp, offset, key length, value length, header count). */
  private static final int MIN_RECORD_BODY_BYTES = 6;

  private final ByteBuffer records;
  private int index = -1;

  long timestampDelta;
  int offsetDelta;
  private int keyPosition;
  private int keyLength;
  private int valuePosition;
  private int valueLength;
  private int headersPosition;
  private int headerCount;

  /** Walks {@code records} from its position to its limit; moves that buffer's position. */
  RecordCursor(ByteBuffer records) {
    this.records = records;
  }

  boolean hasRemaining() {
    return records.hasRemaining();
  }

  int remaining() {
    return records.remaining();
  }

  /** Index of the current record, counting from 0; -1 before the first {@code next()}. */
  int index() {
    return index;
  }

  /**
   * Parses the next record's framing.
   *
   * @throws CorruptRecordException naming the record index and what did not fit
   */
  void next() {
    index++;
    int length = readVarint("length");
    if (length < MIN_RECORD_BODY_BYTES || length > records.remaining()) {
      throw corrupt("length " + length + " does not fit the " + records.remaining() + " bytes left");
    }
    int end = records.position() + length;
    int limit = records.limit();
    // Fence the record so that no field can be read past its own length.
    records.limit(end);
    try {
      readFields();
      if (records.hasRemaining()) {
        throw corrupt("has " + records.remaining() + " bytes left over after its headers");
      }
    } finally {
      records.limit(limit);
    }
  }

  private void readFields() {
    records.get(); // attributes: no bits are defined for v2 records
    timestampDelta = readVarlong();
    offsetDelta = readVarint("offset delta");
    keyLength = readVarint("key length");
    keyPosition = skipBytes(keyLength, "key");
    valueLength = readVarint("value length");
    valuePosition = skipBytes(valueLength, "value");
    headerCount = readVarint("header count");
    // Each header takes at least two bytes, so a larger count cannot be true.
    if (headerCount < 0 || headerCount > records.remaining() / 2) {
      throw corrupt("header count " + headerCount + " does not fit the " + records.remaining() + " bytes left");
    }
    headersPosition = records.position();
    for (int h = 0; h < headerCount; h++) {
      int headerKeyLength = readVarint("header key length");
      if (headerKeyLength < 0) {
        throw corrupt("header " + h + " has a null key (length " + headerKeyLength + ")");
      }
      skipBytes(headerKeyLength, "header key");
      skipBytes(readVarint("header value length"), "header value");
    }
  }

  /** Builds the current record with the given absolute offset and timestamp, copying its arrays. */
  <T> T build(long offset, long timestamp, RecordBatch.RecordFactory<T> factory) {
    byte[] key = copy(keyPosition, keyLength);
    byte[] value = copy(valuePosition, valueLength);
    return factory.make(offset, timestamp, key, value, headerCount == 0 ? List.of() : readHeaders());
  }

  private List<Header> readHeaders() {
    int resume = records.position();
    records.position(headersPosition);
    Header[] headers = new Header[headerCount];
    for (int h = 0; h < headerCount; h++) {
      int keyLen = ByteUtils.readVarint(records);
      byte[] keyBytes = copy(records.position(), keyLen);
      records.position(records.position() + keyLen);
      int valueLen = ByteUtils.readVarint(records);
      byte[] headerValue = copy(records.position(), valueLen);
      records.position(records.position() + Math.max(0, valueLen));
      headers[h] = new Header(new String(keyBytes, StandardCharsets.UTF_8), headerValue);
    }
    records.position(resume);
    return List.of(headers);
  }

  private byte[] copy(int position, int length) {
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    records.get(position, bytes);
    return bytes;
  }

  /** Skips a length-prefixed field's bytes; returns where they start. */
  private int skipBytes(int length, String field) {
    int position = records.position();
    if (length < -1 || length > records.remaining()) {
      throw corrupt(field + " length " + length + " does not fit the " + records.remaining() + " bytes left");
    }
    if (length > 0) {
      records.position(position + length);
    }
    return position;
  }

  private int readVarint(String field) {
    try {
      return ByteUtils.readVarint(records);
    } catch (CorruptRecordException e) {
      throw corrupt("has a malformed " + field + ": " + e.getMessage());
    }
  }

  private long readVarlong() {
    try {
      return ByteUtils.readVarlong(records);
    } catch (CorruptRecordException e) {
      throw corrupt("has a malformed timestamp delta: " + e.getMessage());
    }
  }

  private CorruptRecordException corrupt(String what) {
    return new CorruptRecordException("Record " + index + " " + what);
  }
}
