package io.sluice.http;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.record.Header;
import io.sluice.record.RecordBatch;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * A parsed produce body, Kafka REST v2 style:
 *
 * <pre>
 * {"records": [{"key"?, "value"?, "partition"?, "timestamp"?, "headers"?: [{"key": "k", "value": "base64"}]}]}
 * </pre>
 *
 * Key and value follow the {@link EmbeddedFormat}; header values are base64 in every format (as the Strimzi
 * bridge does); a record without {@code timestamp} gets the request's arrival time. A body that is not such an
 * object is MALFORMED_REQUEST (400); a record that does not fit is INVALID_RECORD or INVALID_TIMESTAMP (422).
 */
record ProduceRequest(List<OutgoingRecord> records) {

  /** One record to append; {@code partition} is null when the request did not name one. */
  record OutgoingRecord(Integer partition, byte[] key, byte[] value, List<Header> headers, long timestamp) {
  }

  private static final Set<String> RECORD_FIELDS = Set.of("key", "value", "partition", "timestamp", "headers");
  private static final Set<String> HEADER_FIELDS = Set.of("key", "value");
  /** REST v2's schema fields, for embedded formats with a schema (Avro, Protobuf), which Sluice does not have. */
  private static final Set<String> SCHEMA_FIELDS = Set.of("key_schema", "value_schema", "key_schema_id",
      "value_schema_id");

  /**
   * An HTTP produce body: {@link #parse} once no field is one it would ignore. A field a client misspells
   * ({@code "header"}) or one asking for what Sluice does not do (a schema) would otherwise change what is written
   * without a word; null schema fields, which REST v2 clients send for schemaless formats, are accepted.
   */
  static ProduceRequest parseBody(JsonObject body, EmbeddedFormat format, int maxRecords, long nowMs) {
    for (String field : body.fieldNames()) {
      if (SCHEMA_FIELDS.contains(field) && body.getValue(field) != null) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, Echo.quoted(field)
            + ": Sluice's embedded formats (json,"
            + " binary) carry no schema; leave it out or null");
      }
      if (!field.equals("records") && !SCHEMA_FIELDS.contains(field)) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Unknown field " + Echo.quoted(field)
            + "; a produce body has"
            + " 'records'");
      }
    }
    return parse(body, format, maxRecords, nowMs);
  }

  static ProduceRequest parse(JsonObject body, EmbeddedFormat format, int maxRecords, long nowMs) {
    if (!(body.getValue("records") instanceof JsonArray records)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'records' must be a JSON array");
    }
    if (records.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'records' must hold at least one record");
    }
    if (records.size() > maxRecords) {
      throw ErrorResponses.error(ErrorCode.RECORD_LIST_TOO_LARGE,
          records.size() + " records in one request, the limit is " + maxRecords);
    }
    List<OutgoingRecord> parsed = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      parsed.add(parseRecord(records.getValue(i), "records[" + i + "]", format, nowMs));
    }
    return new ProduceRequest(parsed);
  }

  private static OutgoingRecord parseRecord(Object element, String where, EmbeddedFormat format, long nowMs) {
    if (!(element instanceof JsonObject record)) {
      throw invalid(where + " must be a JSON object");
    }
    requireKnown(record, RECORD_FIELDS, where, "a record");
    byte[] key = format.toBytes(record.getValue("key"), where + ".key");
    byte[] value = format.toBytes(record.getValue("value"), where + ".value");
    Object partition = record.getValue("partition");
    if (partition != null && (!(partition instanceof Integer p) || p < 0)) {
      throw invalid(where + ".partition must be a non-negative integer, got " + partition);
    }
    return new OutgoingRecord((Integer) partition, key, value, headers(record.getValue("headers"), where),
        timestamp(record.getValue("timestamp"), where, nowMs));
  }

  private static long timestamp(Object value, String where, long nowMs) {
    if (value == null) {
      return nowMs;
    }
    if (!(value instanceof Integer || value instanceof Long)) {
      throw ErrorResponses.error(ErrorCode.INVALID_TIMESTAMP,
          where + ".timestamp must be milliseconds since the epoch (a non-negative integer), got " + value);
    }
    long timestampMs = ((Number) value).longValue();
    RecordBatch.requireValidTimestamp(timestampMs, where);
    return timestampMs;
  }

  private static List<Header> headers(Object value, String where) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw invalid(where + ".headers must be an array of {\"key\", \"value\"} objects");
    }
    List<Header> headers = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String at = where + ".headers[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject h) || !(h.getValue("key") instanceof String key)) {
        throw invalid(at + " must be an object with a string 'key'");
      }
      requireKnown(h, HEADER_FIELDS, at, "a header");
      headers.add(new Header(key, headerValue(h.getValue("value"), at)));
    }
    return headers;
  }

  private static byte[] headerValue(Object value, String at) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw invalid(at + ".value must be a base64 string or null");
    }
    try {
      return Base64.getDecoder().decode(text.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw invalid(at + ".value is not valid base64: " + e.getMessage());
    }
  }

  private static void requireKnown(JsonObject o, Set<String> known, String where, String what) {
    for (String field : o.fieldNames()) {
      if (!known.contains(field)) {
        throw invalid(where + ": unknown field " + Echo.quoted(field) + "; " + what + " has "
            + new java.util.TreeSet<>(known));
      }
    }
  }

  private static RuntimeException invalid(String message) {
    return ErrorResponses.error(ErrorCode.INVALID_RECORD, message);
  }
}
