package io.sluice.streams;

import io.sluice.api.TopicPartition;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * A task's checkpoint and status, stored at {@code /streams/tasks/<stream>/<topic>-<partition>}:
 *
 * <pre>
 * {"offset": next input offset, "partitions": {"out": partition count, ...}, "version": n,
 *  "state": "RUNNING" | "FAILED" | "PAUSED" | "STOPPED", "broker": id, "high_watermark": n, "lag": n,
 *  "records_in": n, "records_out": n, "records_in_per_sec": x, "records_out_per_sec": x, "errors": n,
 *  "last_error": "...", "restarts": n,
 *  "stores_from": {"changelog": {"0": offset}}, "late_records": n, "expired_entries": n, "restore": {...},
 *                                                                                    (stateful tasks)
 *  "input_epoch": n, "input_replaced": true}   (only after the input was deleted and created again)
 * </pre>
 *
 * {@code offset} is written only after every output of the inputs before it was acknowledged by all in-sync
 * replicas; {@code partitions} are the output topics' partition counts the inputs from {@code offset} on are routed
 * with, so a replay routes them as the first time.
 */
final class TaskState {
  long offset = -1;
  final Map<String, Integer> partitionCounts = new HashMap<>();
  long version;
  String state = "RUNNING";
  int broker;
  long highWatermark;
  long recordsIn;
  long recordsOut;
  double inPerSec;
  double outPerSec;
  long errors;
  String lastError;
  long restarts;
  /** Per changelog partition: where this task's records begin (the log end when the task first started). */
  final Map<TopicPartition, Long> storesFrom = new HashMap<>();
  long lateRecords;
  /** Store entries a TTL removed (all runs of the task: carried in the checkpoint like {@code lateRecords}). */
  long expiredEntries;
  /** Restore progress: null before any, else {"state": "RESTORING" | "DONE", "records", "from", "to", "position"}. */
  JsonObject restore;
  /**
   * How often the input was found deleted and created again: each time a stateless task starts the new topic over, and
   * its outputs get a new producer id (their sequences start over with the offsets).
   */
  long inputEpoch;
  /** A stateful task's input was deleted and created again: it fails at every start (its store was of the old topic). */
  boolean inputReplaced;

  static TaskState from(JsonObject json) {
    TaskState s = new TaskState();
    if (json == null) {
      return s;
    }
    s.offset = json.getLong("offset", -1L);
    json.getJsonObject("partitions", new JsonObject())
        .forEach(e -> s.partitionCounts.put(e.getKey(), ((Number) e.getValue()).intValue()));
    s.version = json.getLong("version", 0L);
    s.state = json.getString("state", "RUNNING");
    s.recordsIn = json.getLong("records_in", 0L);
    s.recordsOut = json.getLong("records_out", 0L);
    s.errors = json.getLong("errors", 0L);
    s.lastError = json.getString("last_error");
    s.restarts = json.getLong("restarts", 0L);
    s.lateRecords = json.getLong("late_records", 0L);
    s.expiredEntries = json.getLong("expired_entries", 0L);
    s.inputEpoch = json.getLong("input_epoch", 0L);
    s.inputReplaced = json.getBoolean("input_replaced", false);
    readPositions(json.getJsonObject("stores_from", new JsonObject()), s.storesFrom);
    return s;
  }

  private static void readPositions(JsonObject pos, Map<TopicPartition, Long> into) {
    for (String topic : pos.fieldNames()) {
      pos.getJsonObject(topic).forEach(e -> into.put(new TopicPartition(topic, Integer.parseInt(e.getKey())),
          ((Number) e.getValue()).longValue()));
    }
  }

  private static JsonObject positionsJson(Map<TopicPartition, Long> positions) {
    JsonObject pos = new JsonObject();
    positions.forEach((tp, p) -> {
      JsonObject t = pos.getJsonObject(tp.topic());
      if (t == null) {
        t = new JsonObject();
        pos.put(tp.topic(), t);
      }
      t.put(Integer.toString(tp.partition()), p);
    });
    return pos;
  }

  JsonObject toJson() {
    JsonObject counts = new JsonObject();
    partitionCounts.forEach(counts::put);
    JsonObject out = new JsonObject().put("offset", offset).put("partitions", counts).put("version", version)
        .put("state", state)
        .put("broker", broker).put("high_watermark", highWatermark).put("lag", Math.max(0, highWatermark - offset))
        .put("records_in", recordsIn).put("records_out", recordsOut)
        .put("records_in_per_sec", Math.round(inPerSec * 10) / 10.0)
        .put("records_out_per_sec", Math.round(outPerSec * 10) / 10.0)
        .put("errors", errors).put("last_error", lastError).put("restarts", restarts);
    if (inputEpoch > 0) {
      out.put("input_epoch", inputEpoch);
    }
    if (inputReplaced) {
      out.put("input_replaced", true);
    }
    if (!storesFrom.isEmpty()) {
      out.put("stores_from", positionsJson(storesFrom)).put("late_records", lateRecords)
          .put("expired_entries", expiredEntries).put("restore", restore);
    }
    return out;
  }
}
