package io.sluice.client.impl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code POST /batches}'s answer, {@code {"partitions": [{"offsets": [{"offset": N, ...}, ...],
 * "log_append_time_ms": T} or {"error_code": C, "message": M}, ...]}}, read with Jackson's streaming parser straight
 * from the answer's bytes. The {@code JsonObject} tree it replaces cost a copy of the body, a map per object and a box
 * per number on every produce request, and its generic walk was among the largest methods a fresh client compiles
 * while it sends one record at a time (docs/benchmarks.md, issue 16, twenty-first session, h-e2e7). Keys it does not
 * know are skipped, as the tree's lookups ignored them.
 */
final class ProduceAnswer {
  private static final JsonFactory FACTORY = new JsonFactory();

  /**
   * One partition section's outcome: its batches' base offsets (-1 where the answer has none) and the LogAppendTime
   * stamp (-1: none), or, when {@code errorCode} is not null, the refusal.
   */
  record Entry(long[] offsets, long logAppendTimeMs, Integer errorCode, String message) {
    /** The base offset of the section's batch {@code i}, -1 if the answer names none. */
    long offset(int i) {
      return offsets != null && i < offsets.length ? offsets[i] : -1L;
    }
  }

  private ProduceAnswer() {
  }

  /** The entries in the answer's order; null if the body is not a JSON object (then no entry is known). */
  static List<Entry> parse(byte[] content, int length) {
    if (length == 0) {
      return List.of();
    }
    try (JsonParser p = FACTORY.createParser(content, 0, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      List<Entry> entries = List.of();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean isPartitions = "partitions".equals(p.currentName());
        if (p.nextToken() == JsonToken.START_ARRAY && isPartitions) {
          entries = partitions(p);
        } else {
          p.skipChildren();
        }
      }
      return entries;
    } catch (IOException | RuntimeException e) {
      return null; // not JSON, or a number out of range: each batch fails as one the answer names no outcome for
    }
  }

  private static List<Entry> partitions(JsonParser p) throws IOException {
    List<Entry> entries = new ArrayList<>(1);
    JsonToken t;
    while ((t = next(p)) != JsonToken.END_ARRAY) {
      // Anything but an object stands in the list as an entry with no outcome, keeping the others' positions.
      entries.add(t == JsonToken.START_OBJECT ? entry(p) : skipped(p));
    }
    return entries;
  }

  /** The next token; a body cut short fails (Jackson reports an unclosed array itself; this holds whatever it does). */
  private static JsonToken next(JsonParser p) throws IOException {
    JsonToken t = p.nextToken();
    if (t == null) {
      throw new IOException("the answer ends inside an array");
    }
    return t;
  }

  private static Entry skipped(JsonParser p) throws IOException {
    p.skipChildren();
    return null;
  }

  private static Entry entry(JsonParser p) throws IOException {
    long[] offsets = null;
    long appendTime = -1L;
    Integer code = null;
    String message = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      switch (name) {
        case "offsets" -> offsets = value == JsonToken.START_ARRAY ? offsets(p) : skippedOffsets(p);
        case "log_append_time_ms" -> appendTime = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : appendTime;
        case "error_code" -> code = value == JsonToken.VALUE_NUMBER_INT ? (Integer) p.getIntValue() : code;
        case "message" -> message = value == JsonToken.VALUE_STRING ? p.getText() : message;
        default -> p.skipChildren();
      }
    }
    return new Entry(offsets, appendTime, code, message);
  }

  private static long[] skippedOffsets(JsonParser p) throws IOException {
    p.skipChildren();
    return null;
  }

  private static long[] offsets(JsonParser p) throws IOException {
    long[] offsets = new long[1];
    int n = 0;
    JsonToken t;
    while ((t = next(p)) != JsonToken.END_ARRAY) {
      long base = -1L;
      if (t == JsonToken.START_OBJECT) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          boolean isOffset = "offset".equals(p.currentName());
          JsonToken value = p.nextToken();
          if (isOffset && value == JsonToken.VALUE_NUMBER_INT) {
            base = p.getLongValue();
          } else {
            p.skipChildren();
          }
        }
      } else {
        p.skipChildren();
      }
      if (n == offsets.length) {
        offsets = Arrays.copyOf(offsets, 2 * n);
      }
      offsets[n++] = base;
    }
    return n == offsets.length ? offsets : Arrays.copyOf(offsets, n);
  }
}
