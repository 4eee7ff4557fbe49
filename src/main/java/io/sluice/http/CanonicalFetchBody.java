package io.sluice.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.sluice.api.FetchRequest;
import io.sluice.api.TopicPartition;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fast path of {@code POST /fetch}'s body: a streaming parse of a well-formed request straight into its
 * {@link MultiFetchEndpoint.Request}, without the {@code JsonObject} tree, its boxed numbers and the surrogate walk
 * over it (about 1.4 KB of garbage per long poll by a profile of {@code perf e2e}: the largest single share of a
 * caught-up reader's requests on the broker; docs/benchmarks.md, issue 16, tenth and eleventh sessions).
 *
 * <p>It takes only what the full parse ({@link StrictJson} then {@code MultiFetchEndpoint.parse}) would take with the
 * same result: the four known keys at the top and in each partition, each at most once, integers in their ranges, a
 * non-empty topic without a lone surrogate, each partition once, nothing after the object. For anything else,
 * well-formed or not, it answers null and the caller runs the full parse, so every refusal keeps its exact 400 and
 * message; a request with an unknown key, a float such as {@code 1.0}, a null or a comment is taken by the full
 * parse as before.
 */
final class CanonicalFetchBody {
  /** Jackson's defaults (no comments or other leniency): what it reads, the full parse reads alike. */
  private static final JsonFactory FACTORY = new JsonFactory();
  /** Longer lists go to the full parse: the check that each partition is named once is quadratic here. */
  static final int MAX_PARTITIONS = 64;

  private CanonicalFetchBody() {
  }

  /** The request, or null if the body is not in the canonical shape (then the full parse decides). */
  static MultiFetchEndpoint.Request tryParse(Buffer body, HttpApiConfig cfg) {
    if (body == null || body.length() == 0) {
      return null;
    }
    ByteBuf buf = ((BufferInternal) body).getByteBuf();
    if (!buf.hasArray()) {
      return null;
    }
    try (JsonParser p = FACTORY.createParser(buf.array(), buf.arrayOffset() + buf.readerIndex(),
        buf.readableBytes())) {
      MultiFetchEndpoint.Request request = request(p, cfg);
      return request != null && p.nextToken() == null ? request : null;
    } catch (IOException | RuntimeException e) {
      return null; // not JSON, or not as expected: the full parse gives the error
    }
  }

  private static MultiFetchEndpoint.Request request(JsonParser p, HttpApiConfig cfg) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    List<FetchRequest> partitions = null;
    long maxBytes = -1;
    long minBytes = -1;
    long waitMs = -1;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      switch (key) {
        case "partitions" -> {
          if (partitions != null || (partitions = partitions(p, cfg)) == null) {
            return null;
          }
        }
        case "max_bytes" -> {
          if (maxBytes >= 0 || (maxBytes = integer(p, 1, Integer.MAX_VALUE)) < 0) {
            return null;
          }
        }
        case "min_bytes" -> {
          if (minBytes >= 0 || (minBytes = integer(p, 0, Integer.MAX_VALUE)) < 0) {
            return null;
          }
        }
        case "timeout" -> {
          if (waitMs >= 0 || (waitMs = integer(p, 0, Long.MAX_VALUE)) < 0) {
            return null;
          }
        }
        default -> {
          return null;
        }
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT || partitions == null) {
      return null;
    }
    return new MultiFetchEndpoint.Request(partitions,
        (int) Math.min(maxBytes < 0 ? cfg.maxFetchBytes() : maxBytes, cfg.maxFetchBytes()),
        (int) (minBytes < 0 ? 1 : minBytes),
        Math.min(waitMs < 0 ? cfg.defaultFetchWaitMs() : waitMs, cfg.maxFetchWaitMs()));
  }

  /** A non-empty array of partitions, each named once; null otherwise. */
  private static List<FetchRequest> partitions(JsonParser p, HttpApiConfig cfg) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      return null;
    }
    List<FetchRequest> partitions = new ArrayList<>(1);
    while (p.nextToken() == JsonToken.START_OBJECT) {
      FetchRequest partition = partition(p, cfg);
      if (partition == null || partitions.size() == MAX_PARTITIONS || named(partitions, partition.tp())) {
        return null;
      }
      partitions.add(partition);
    }
    return p.currentToken() == JsonToken.END_ARRAY && !partitions.isEmpty() ? partitions : null;
  }

  private static boolean named(List<FetchRequest> partitions, TopicPartition tp) {
    for (FetchRequest f : partitions) {
      if (f.tp().equals(tp)) {
        return true;
      }
    }
    return false;
  }

  private static FetchRequest partition(JsonParser p, HttpApiConfig cfg) throws IOException {
    String topic = null;
    long partition = -1;
    long offset = -1;
    long maxBytes = -1;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      switch (key) {
        case "topic" -> {
          if (topic != null || p.currentToken() != JsonToken.VALUE_STRING) {
            return null;
          }
          topic = p.getText();
          if (topic.isEmpty() || StrictJson.loneSurrogateAt(topic) >= 0) {
            return null;
          }
        }
        case "partition" -> {
          if (partition >= 0 || (partition = integer(p, 0, Integer.MAX_VALUE)) < 0) {
            return null;
          }
        }
        case "offset" -> {
          if (offset >= 0 || (offset = integer(p, 0, Long.MAX_VALUE)) < 0) {
            return null;
          }
        }
        case "max_bytes" -> {
          if (maxBytes >= 0 || (maxBytes = integer(p, 1, Integer.MAX_VALUE)) < 0) {
            return null;
          }
        }
        default -> {
          return null;
        }
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT || topic == null || partition < 0 || offset < 0) {
      return null;
    }
    int bytes = (int) Math.min(maxBytes < 0 ? cfg.defaultFetchMaxBytes() : maxBytes, cfg.maxFetchBytes());
    return new FetchRequest(new TopicPartition(topic, (int) partition), offset, bytes, 0, 0);
  }

  /** The current token as an integer from min (at least 0) to max, or -1 if it is anything else. */
  private static long integer(JsonParser p, long min, long max) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      return -1;
    }
    long v = p.getLongValue();
    return v < min || v > max ? -1 : v;
  }
}
