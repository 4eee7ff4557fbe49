package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.record.PlainNames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The JSON answer of {@code POST /batches}: one entry per section, in request order. An answer whose entries all
 * were appended and whose topics need no escaping (Kafka's topic alphabet, as every existing topic's name) is written
 * straight into its buffer, byte for byte what the {@code JsonObject} encoding gives, without the objects: that is
 * every answer of a producer whose appends succeed, on the hottest route. Anything else (a refusal's message, a
 * name to escape) goes through {@code JsonObject}, which escapes as Jackson does.
 */
final class BatchesAnswer {
  private BatchesAnswer() {
  }

  /**
   * One section's outcome: the record count and base offset of each batch when appended (offsets null when
   * refused), and the time a LogAppendTime topic's leader stamped (-1 for CreateTime); else the error code and
   * message.
   */
  record Entry(String topic, int partition, List<Integer> counts, List<Long> bases, long logAppendTimeMs,
      int errorCode, String message) {
    static Entry appended(String topic, int partition, List<Integer> counts, List<Long> bases, long logAppendTimeMs) {
      return new Entry(topic, partition, counts, bases, logAppendTimeMs, 0, null);
    }

    static Entry refused(String topic, int partition, int errorCode, String message) {
      return new Entry(topic, partition, null, null, -1L, errorCode, message);
    }

    boolean isAppended() {
      return counts != null;
    }
  }

  static Buffer encode(List<Entry> entries) {
    for (Entry e : entries) {
      if (!e.isAppended() || !PlainNames.isPlain(e.topic())) {
        return asJsonObject(entries).toBuffer();
      }
    }
    return direct(entries);
  }

  /** The same answer built as {@code JsonObject}s, the shape's reference. */
  static JsonObject asJsonObject(List<Entry> entries) {
    JsonArray partitions = new JsonArray();
    for (Entry e : entries) {
      JsonObject entry = new JsonObject().put("topic", e.topic()).put("partition", e.partition());
      if (e.isAppended()) {
        JsonArray offsets = new JsonArray();
        for (int i = 0; i < e.counts().size(); i++) {
          offsets.add(new JsonObject().put("offset", baseOf(e, i)).put("record_count", e.counts().get(i)));
        }
        entry.put("offsets", offsets);
        if (e.logAppendTimeMs() >= 0) {
          entry.put("log_append_time_ms", e.logAppendTimeMs());
        }
      } else {
        entry.put("error_code", e.errorCode()).put("message", e.message());
      }
      partitions.add(entry);
    }
    return new JsonObject().put("partitions", partitions);
  }

  /** A batch the answer has no base offset for is answered -1 (the broker appended fewer batches than counted). */
  private static long baseOf(Entry e, int i) {
    return i < e.bases().size() ? e.bases().get(i) : -1L;
  }

  private static Buffer direct(List<Entry> entries) {
    // Heap, not pooled: a Vert.x Buffer is not reference counted.
    ByteBuf out = Unpooled.buffer(64 * entries.size() + 16);
    out.writeCharSequence("{\"partitions\":[", java.nio.charset.StandardCharsets.US_ASCII);
    for (int p = 0; p < entries.size(); p++) {
      Entry e = entries.get(p);
      ascii(out, p == 0 ? "{\"topic\":\"" : ",{\"topic\":\"");
      ascii(out, e.topic());
      ascii(out, "\",\"partition\":");
      number(out, e.partition());
      ascii(out, ",\"offsets\":[");
      for (int i = 0; i < e.counts().size(); i++) {
        ascii(out, i == 0 ? "{\"offset\":" : ",{\"offset\":");
        number(out, baseOf(e, i));
        ascii(out, ",\"record_count\":");
        number(out, e.counts().get(i));
        out.writeByte('}');
      }
      ascii(out, "]");
      if (e.logAppendTimeMs() >= 0) {
        ascii(out, ",\"log_append_time_ms\":");
        number(out, e.logAppendTimeMs());
      }
      out.writeByte('}');
    }
    ascii(out, "]}");
    return BufferInternal.buffer(out);
  }

  private static void ascii(ByteBuf out, String s) {
    out.writeCharSequence(s, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** The decimal digits of v, as Jackson writes a number, without a String. */
  private static void number(ByteBuf out, long v) {
    if (v == Long.MIN_VALUE) {
      ascii(out, Long.toString(v));
      return;
    }
    if (v < 0) {
      out.writeByte('-');
      v = -v;
    }
    long div = 1;
    while (div <= v / 10) {
      div *= 10;
    }
    for (; div > 0; div /= 10) {
      out.writeByte('0' + (int) (v / div % 10));
    }
  }
}
