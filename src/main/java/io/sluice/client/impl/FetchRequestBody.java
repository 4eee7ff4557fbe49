package io.sluice.client.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.record.PlainNames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JSON body of the client's {@code POST /fetch}:
 * {@code {"partitions":[{"topic","partition","offset","max_bytes"}],"timeout"}}. A body whose topics are all in
 * Kafka's topic alphabet (every existing topic's name) is written straight into its buffer, byte for byte what the
 * {@code JsonObject} encoding gives: every poll of every reader builds one, and a consumer waiting for the next
 * record sends one per record, so the tree of maps and Jackson's generic walk over it were paid per record and were
 * among the methods a fresh client still compiled while it measured end-to-end latency (docs/benchmarks.md,
 * fourteenth session, h-e2e5). A name to escape goes through {@code JsonObject}, which escapes as Jackson does.
 */
final class FetchRequestBody {
  /** One partition's read in the request. */
  record Read(String topic, int partition, long offset, int maxBytes) {
  }

  private FetchRequestBody() {
  }

  static Buffer encode(List<Read> reads, long timeoutMs) {
    return encode(reads, timeoutMs, null);
  }

  /** @param clientRack the client's rack, {@code "client_rack"} (KIP-392); null: none, the body as before */
  static Buffer encode(List<Read> reads, long timeoutMs, String clientRack) {
    return encode(reads, timeoutMs, clientRack, false);
  }

  /**
   * @param readCommitted adds {@code "isolation_level": "read_committed"}, which also makes the broker answer version 1
   *     sections (PartitionSections); false: the body as before
   */
  static Buffer encode(List<Read> reads, long timeoutMs, String clientRack, boolean readCommitted) {
    if (clientRack != null || readCommitted) { // rare: the tree's encoding escapes whatever the rack holds
      JsonObject body = asJsonObject(reads, timeoutMs);
      if (clientRack != null) {
        body.put("client_rack", clientRack);
      }
      return (readCommitted ? body.put("isolation_level", "read_committed") : body).toBuffer();
    }
    for (Read r : reads) {
      if (!PlainNames.isPlain(r.topic())) {
        return asJsonObject(reads, timeoutMs).toBuffer();
      }
    }
    return direct(reads, timeoutMs);
  }

  /** The same body built as {@code JsonObject}s, the shape's reference. */
  static JsonObject asJsonObject(List<Read> reads, long timeoutMs) {
    JsonArray partitions = new JsonArray();
    for (Read r : reads) {
      partitions.add(new JsonObject().put("topic", r.topic()).put("partition", r.partition())
          .put("offset", r.offset()).put("max_bytes", r.maxBytes()));
    }
    return new JsonObject().put("partitions", partitions).put("timeout", timeoutMs);
  }

  private static Buffer direct(List<Read> reads, long timeoutMs) {
    StringBuilder out = new StringBuilder(32 + 80 * reads.size()).append("{\"partitions\":[");
    for (int i = 0; i < reads.size(); i++) {
      Read r = reads.get(i);
      out.append(i == 0 ? "{\"topic\":\"" : ",{\"topic\":\"").append(r.topic())
          .append("\",\"partition\":").append(r.partition())
          .append(",\"offset\":").append(r.offset())
          .append(",\"max_bytes\":").append(r.maxBytes()).append('}');
    }
    out.append("],\"timeout\":").append(timeoutMs).append('}');
    // Heap, not pooled (a Vert.x Buffer is not reference counted); the characters go in without a String between.
    ByteBuf bytes = Unpooled.buffer(out.length());
    bytes.writeCharSequence(out, StandardCharsets.US_ASCII);
    return BufferInternal.buffer(bytes);
  }
}
