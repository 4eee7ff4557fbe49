package io.sluice.http;

import io.sluice.api.TopicPartition;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A fetch's JSON answer built within a grant of heap bytes, counted as it is encoded: the JSON of a record is up to
 * six times its stored bytes (a control byte becomes {@code \u0001}) plus a hundred bytes or more of fields (the
 * topic's name each time), so no factor bounds it ahead; counting does. The grant grows from the pool as the
 * answer needs; when the pool has no more, the answer stops before the record that would go over (never before the
 * first, so a reader always moves on) and says where to fetch next.
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
  /** What a grant grows by at least: fewer trips to the shared counter. */
  private static final long GROW_BYTES = 256 * 1024;

  private JsonRecordsAnswer() {
  }

  /** The chunks of the JSON array, where to fetch next, and the heap bytes the chunks hold. */
  record Encoded(List<Buffer> chunks, long nextOffset, long bytes) {
  }

  /**
   * The records of {@code batches} from {@code fromOffset} within {@code grant}, without control batches and those
   * {@code aborted} skips (a read_committed read's aborted transactions).
   */
  static Encoded encode(EmbeddedFormat format, TopicPartition tp, long fromOffset, ByteBuffer batches,
      io.sluice.record.AbortedBatches aborted, AnswerMemory.Grant grant) {
    long held = (long) HELD_PER_STORED_BYTE * batches.remaining();
    List<Buffer> chunks = new ArrayList<>();
    Buffer chunk = Buffer.buffer(256).appendString("[");
    long encoded = 1;
    long next = fromOffset;
    boolean first = true;
    for (RecordBatch batch : BatchFrames.split(batches)) {
      if (aborted.skip(batch) || batch.nextOffset() <= fromOffset) { // skip first: it reads every batch in order
        next = Math.max(next, batch.nextOffset());
        continue;
      }
      for (Record r : batch.records()) {
        if (r.offset() < fromOffset) {
          continue;
        }
        Buffer json = FetchEndpoint.recordJson(format, tp.topic(), tp.partition(), r).toBuffer();
        long needed = held + encoded + json.length() + 2 - grant.bytes();
        if (needed > 0 && !(grant.tryGrow(Math.max(needed, GROW_BYTES)) || grant.tryGrow(needed)) && !first) {
          chunks.add(chunk.appendString("]"));
          return new Encoded(chunks, r.offset(), encoded + 1);
        }
        chunk.appendString(first ? "" : ",").appendBuffer(json);
        encoded += json.length() + (first ? 0 : 1);
        first = false;
        if (chunk.length() >= CHUNK_BYTES) {
          chunks.add(chunk);
          encoded += ((BufferInternal) chunk).getByteBuf().capacity() - chunk.length(); // its room beyond its bytes
          chunk = Buffer.buffer(CHUNK_BYTES + CHUNK_BYTES / 2);
        }
      }
      next = batch.nextOffset();
    }
    chunks.add(chunk.appendString("]"));
    return new Encoded(chunks, Math.max(next, fromOffset), encoded + 1);
  }
}
