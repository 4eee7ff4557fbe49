package io.sluice.http;

import io.sluice.api.TopicPartition;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A fetch's JSON answer built within a budget of heap bytes, counted as it is encoded: the JSON of a record is up to
 * six times its stored bytes (a control byte becomes {@code \u0001}) plus a hundred bytes or more of fields (the
 * topic's name each time), so no factor bounds it ahead; counting does. The answer stops before the record that
 * would go over the budget (never before the first, so a reader always moves on) and says where to fetch next.
 */
final class JsonRecordsAnswer {
  /** A batch's stored bytes the broker holds while answering: the read bytes and their decoded copies. */
  static final int HELD_PER_STORED_BYTE = 2;
  /**
   * What an answer reserves per stored byte of its slice, and so how much of a grant it reads: the two held, and room
   * for JSON up to twice the stored bytes (text values take about one, base64 4/3; escaped control bytes take six,
   * tiny records more, and are cut short by the count instead).
   */
  static final int RESERVED_PER_STORED_BYTE = 4;
  private static final int CHUNK_BYTES = 64 * 1024;

  private JsonRecordsAnswer() {
  }

  /** The chunks of the JSON array, where to fetch next, and the heap bytes the chunks hold. */
  record Encoded(List<Buffer> chunks, long nextOffset, long bytes) {
  }

  /** The records of {@code batches} from {@code fromOffset} (control batches skipped) within {@code budget}. */
  static Encoded encode(EmbeddedFormat format, TopicPartition tp, long fromOffset, ByteBuffer batches, long budget) {
    long held = (long) HELD_PER_STORED_BYTE * batches.remaining();
    List<Buffer> chunks = new ArrayList<>();
    Buffer chunk = Buffer.buffer(256).appendString("[");
    long encoded = 1;
    long next = fromOffset;
    boolean first = true;
    for (RecordBatch batch : BatchFrames.split(batches)) {
      if (batch.isControlBatch() || batch.nextOffset() <= fromOffset) {
        next = Math.max(next, batch.nextOffset());
        continue;
      }
      for (Record r : batch.records()) {
        if (r.offset() < fromOffset) {
          continue;
        }
        Buffer json = FetchEndpoint.recordJson(format, tp.topic(), tp.partition(), r).toBuffer();
        if (!first && held + encoded + json.length() + 2 > budget) {
          chunks.add(chunk.appendString("]"));
          return new Encoded(chunks, r.offset(), encoded + 1);
        }
        chunk.appendString(first ? "" : ",").appendBuffer(json);
        encoded += json.length() + (first ? 0 : 1);
        first = false;
        if (chunk.length() >= CHUNK_BYTES) {
          chunks.add(chunk);
          chunk = Buffer.buffer(CHUNK_BYTES * 2);
          encoded += CHUNK_BYTES; // the room a chunk's buffer has beyond what it holds, counted as held
        }
      }
      next = batch.nextOffset();
    }
    chunks.add(chunk.appendString("]"));
    return new Encoded(chunks, Math.max(next, fromOffset), encoded + 1);
  }
}
