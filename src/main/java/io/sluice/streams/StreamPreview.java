package io.sluice.streams;

import io.sluice.api.FetchRequest;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /streams/preview}: runs a definition over records given inline ({@code "records"}) or over the last N
 * records of each input partition ({@code "last": N}) and answers, per input record, what each step emitted, the
 * outputs, or the error that would send it to the dead-letter topic. Writes nothing. Request:
 *
 * <pre>
 * {"definition": {...}, "records": [{"key": .., "value": .., "headers": {..}, "timestamp": n, "topic": "..",
 *  "partition": n}]}      or      {"definition": {...}, "last": 10}
 * </pre>
 *
 * Keys and values are JSON values for the json format, strings for string, base64 strings for bytes; answered the
 * same way. With the authorizer on, reading the last records needs Read on the inputs, records given inline Describe
 * (their partitions are checked against the inputs'): the records are read as the broker, and a client allowed to
 * manage streams read any topic's last records through a preview.
 */
final class StreamPreview {
  static final int MAX_RECORDS = 1_000;
  private static final java.util.Set<String> BODY_FIELDS = java.util.Set.of("definition", "records", "last");
  private static final java.util.Set<String> RECORD_FIELDS = java.util.Set.of("key", "value", "headers", "timestamp",
      "topic", "partition");

  private final StreamsService service;
  private final io.sluice.api.RequestContext caller;

  StreamPreview(StreamsService service, io.sluice.api.RequestContext caller) {
    this.service = service;
    this.caller = caller;
  }

  Future<JsonObject> run(JsonObject body) {
    for (String f : body.fieldNames()) {
      if (!BODY_FIELDS.contains(f)) { // "recrods" previewed nothing, and answered 200 with no records
        throw invalid(f + ": unknown field; a preview has " + new java.util.TreeSet<>(BODY_FIELDS));
      }
    }
    if (body.containsKey("records") && body.containsKey("last")) { // "last" was silently ignored
      throw invalid("records or last: give one, not both");
    }
    if (!(body.getValue("definition") instanceof JsonObject defJson)) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "definition: a stream definition object is required");
    }
    // Compiling type-checks every expression in a fresh CEL environment: worker work.
    return service.blocking(() -> service.parser().parse(defJson, null))
        .compose(d -> (body.containsKey("last") ? StreamAccess.mayRead(service.policy(), caller, d)
            : StreamAccess.mayDescribe(service.policy(), caller, StreamAccess.sources(d))).map(d))
        .compose(d -> run(d, body));
  }

  private Future<JsonObject> run(StreamDefinition d, JsonObject body) {
    Future<List<Input>> inputs;
    if (body.getValue("records") instanceof JsonArray records) {
      inputs = Future.succeededFuture(inline(d, records));
    } else if (body.containsKey("last")) {
      inputs = last(d, (int) integer("last", body.getValue("last"), 1, MAX_RECORDS));
    } else {
      throw invalid("records (an array) or last (1 to " + MAX_RECORDS + ") is required");
    }
    return inputs.compose(in -> partitionCounts(d).compose(counts -> {
      for (int i = 0; i < in.size(); i++) {
        Integer n = counts.get(in.get(i).topic());
        if (n != null && in.get(i).partition() >= n) {
          throw invalid("records[" + i + "].partition: topic '" + in.get(i).topic() + "' has " + n
              + " partition(s); there is no partition " + in.get(i).partition());
        }
      }
      return service.blocking(() -> preview(d, in, counts));
    }));
  }

  private record Input(String topic, int partition, Record record) {
  }

  private List<Input> inline(StreamDefinition d, JsonArray records) {
    if (records.size() > MAX_RECORDS) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "records: at most " + MAX_RECORDS);
    }
    List<Input> out = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      String at = "records[" + i + "]";
      if (!(records.getValue(i) instanceof JsonObject r)) {
        throw invalid(at + ": an object is required");
      }
      for (String f : r.fieldNames()) {
        if (!RECORD_FIELDS.contains(f)) {
          throw invalid(at + "." + f + ": unknown field; a record has " + new java.util.TreeSet<>(RECORD_FIELDS));
        }
      }
      Object topic = r.getValue("topic", d.inputs().get(0));
      if (!(topic instanceof String t) || !d.taskInputs().contains(t)) {
        throw invalid(at + ".topic: one of the stream's inputs " + d.taskInputs() + ", not " + topic);
      }
      int partition = (int) integer(at + ".partition", r.getValue("partition", 0), 0, Integer.MAX_VALUE);
      long timestamp = integer(at + ".timestamp", r.getValue("timestamp", 0), 0, Long.MAX_VALUE);
      Record rec = new Record(i, timestamp, toBytes(d.keyFormat(), at + ".key", r.getValue("key")),
          toBytes(d.valueFormat(), at + ".value", r.getValue("value")), headers(at, r.getValue("headers")));
      out.add(new Input(t, partition, rec));
    }
    return out;
  }

  private static byte[] toBytes(Format f, String where, Object v) {
    if (v == null) {
      return null;
    }
    switch (f) {
      case JSON:
        return Json.encode(v).getBytes(StandardCharsets.UTF_8);
      case STRING:
        return (v instanceof String s ? s : Json.encode(v)).getBytes(StandardCharsets.UTF_8);
      default:
        try {
          return Base64.getDecoder().decode(String.valueOf(v));
        } catch (IllegalArgumentException e) {
          throw new SluiceException(ErrorCode.INVALID_REQUEST, where + ": base64 is required for the bytes format");
        }
    }
  }

  private static Object fromBytes(Format f, byte[] b) {
    if (b == null) {
      return null;
    }
    switch (f) {
      case JSON:
        try {
          return Json.decodeValue(new String(b, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
          return new String(b, StandardCharsets.UTF_8);
        }
      case STRING:
        return new String(b, StandardCharsets.UTF_8);
      default:
        return Base64.getEncoder().encodeToString(b);
    }
  }

  private Future<List<Input>> last(StreamDefinition d, int n) {
    List<Future<List<Input>>> parts = new ArrayList<>();
    for (String topic : d.inputs()) {
      parts.add(service.cluster().describeTopic(service.caller(), topic).compose(md -> {
        List<Future<List<Input>>> each = new ArrayList<>();
        for (int p = 0; p < md.partitionCount(); p++) {
          each.add(lastOf(new TopicPartition(topic, p), n));
        }
        return Future.all(each).map(f -> {
          List<Input> out = new ArrayList<>();
          each.forEach(e -> out.addAll(e.result()));
          return out;
        });
      }));
    }
    return Future.all(parts).map(f -> {
      List<Input> out = new ArrayList<>();
      parts.forEach(e -> out.addAll(e.result()));
      return out;
    });
  }

  private Future<List<Input>> lastOf(TopicPartition tp, int n) {
    return service.cluster().offsets(service.caller(), tp).compose(r -> {
      long from = Math.max(r.beginningOffset(), r.endOffset() - n);
      if (from >= r.endOffset()) {
        return Future.succeededFuture(List.of());
      }
      return service.cluster().fetch(service.caller(), new FetchRequest(tp, from, 4 << 20, 1, 0))
          .compose(fr -> service.blocking(() -> {
            List<Input> out = new ArrayList<>();
            for (RecordBatch b : RecordBatches.split(fr.batches().readBytes())) {
              for (Record rec : b.records()) {
                if (rec.offset() >= from && rec.offset() < r.endOffset()) {
                  out.add(new Input(tp.topic(), tp.partition(), rec));
                }
              }
            }
            return out;
          }));
    });
  }

  /** Integers only, in [min, max]: 1.5 or "1" is refused, not read as 1. */
  private static long integer(String at, Object v, long min, long max) {
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min
        || ((Number) v).longValue() > max) {
      throw invalid(at + ": an integer from " + min + " to " + max + ", not " + v);
    }
    return ((Number) v).longValue();
  }

  private static List<Header> headers(String at, Object v) {
    if (v != null && !(v instanceof JsonObject)) {
      throw invalid(at + ".headers: an object of strings, not " + v);
    }
    List<Header> headers = new ArrayList<>();
    if (v instanceof JsonObject h) {
      for (Map.Entry<String, Object> e : h) {
        if (e.getValue() != null && !(e.getValue() instanceof String)) {
          throw invalid(at + ".headers." + e.getKey() + ": a string or null, not " + e.getValue());
        }
        headers.add(Header.of(e.getKey(), (String) e.getValue()));
      }
    }
    return headers;
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_REQUEST, message);
  }

  /** The partition counts of the outputs (for the partitioner) and the inputs (to check a record's partition). */
  private Future<Map<String, Integer>> partitionCounts(StreamDefinition d) {
    Map<String, Integer> counts = new HashMap<>();
    List<Future<TopicMetadata>> all = new ArrayList<>();
    for (String t : new java.util.LinkedHashSet<>(concat(d.outputTopics(), d.taskInputs()))) {
      all.add(service.cluster().describeTopic(service.caller(), t).onSuccess(md -> counts.put(t,
          md.partitionCount())).recover(e -> Future.succeededFuture()));
    }
    return Future.all(all).map(v -> counts);
  }

  private static List<String> concat(java.util.Collection<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private JsonObject preview(StreamDefinition d, List<Input> inputs, Map<String, Integer> counts) {
    Processor processor = new Processor(d, service.maxOutputsPerRecord(), service.maxBytesPerRecord());
    // A stateful stream's preview runs as one task with its store in memory; records it sends to the repartition
    // topic are processed at once from there, as that topic's task would.
    TaskStores stores = TaskStores.inMemory(d);
    JsonArray out = new JsonArray();
    long budget = service.maxAnswerBytes();
    long[] shown = {0};
    for (Input in : inputs) {
      JsonArray steps = new JsonArray();
      JsonObject one = new JsonObject().put("input", new JsonObject().put("topic", in.topic())
          .put("partition", in.partition()).put("offset", in.record().offset())
          .put("key", fromBytes(d.keyFormat(), in.record().key()))
          .put("value", fromBytes(d.valueFormat(), in.record().value())));
      try {
        Processor.Tracer tracer = (where, o) -> {
          shown[0] += Processor.bytes(o);
          if (shown[0] > budget) {
            throw new PreviewTooLarge();
          }
          steps.add(render(d, o).put("step", where));
        };
        List<Processor.Output> outputs = new ArrayList<>(processor.process(in.topic(), in.partition(), in.record(),
            t -> counts.getOrDefault(t, 1), tracer, stores));
        for (int i = 0; i < outputs.size(); i++) {
          Processor.Output o = outputs.get(i);
          if (o.topic().equals(d.repartitionTopic())) {
            outputs.addAll(processor.process(o.topic(), o.partition(), new io.sluice.record.Record(
                in.record().offset(), o.timestamp(), o.key(), o.value(), o.headers()),
                t -> counts.getOrDefault(t, 1), tracer, stores));
          }
        }
        JsonArray os = new JsonArray();
        for (Processor.Output o : outputs) {
          shown[0] += Processor.bytes(o);
          os.add(render(d, o));
        }
        one.put("steps", steps).put("outputs", os);
      } catch (PreviewTooLarge e) {
        break; // answered with the records before it
      } catch (ProcessingException e) {
        one.put("steps", steps).put("outputs", new JsonArray()).put("error", new JsonObject()
            .put("step", e.step()).put("message", e.getMessage()).put("dead_letter_topic",
                d.failOnError() ? null : d.deadLetterTopic()));
      }
      out.add(one);
      if (shown[0] > budget) {
        break;
      }
    }
    if (shown[0] > budget) {
      return new JsonObject().put("records", out).put("truncated", "the preview stopped after " + out.size()
          + " of " + inputs.size() + " records: what they made passed the " + budget + " bytes a preview may"
          + " answer (streams.max.answer.bytes)");
    }
    return new JsonObject().put("records", out);
  }

  /** The preview's answer would pass its bound: it ends with the records shown so far. */
  private static final class PreviewTooLarge extends RuntimeException {
    PreviewTooLarge() {
      super(null, null, false, false);
    }
  }

  private static JsonObject render(StreamDefinition d, Processor.Output o) {
    JsonObject headers = new JsonObject();
    o.headers().forEach(h -> headers.put(h.key(), h.value() == null ? null
        : new String(h.value(), StandardCharsets.UTF_8)));
    JsonObject r = new JsonObject();
    if (o.topic() != null) {
      r.put("topic", o.topic()).put("partition", o.partition());
    }
    return r.put("key", fromBytes(d.keyFormat(), o.key())).put("value", fromBytes(d.valueFormat(), o.value()))
        .put("headers", headers).put("timestamp", o.timestamp());
  }
}
