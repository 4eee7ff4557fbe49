package io.sluice.streams;

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
 *  "last_error": "...", "restarts": n}
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
    return s;
  }

  JsonObject toJson() {
    JsonObject counts = new JsonObject();
    partitionCounts.forEach(counts::put);
    return new JsonObject().put("offset", offset).put("partitions", counts).put("version", version).put("state", state)
        .put("broker", broker).put("high_watermark", highWatermark).put("lag", Math.max(0, highWatermark - offset))
        .put("records_in", recordsIn).put("records_out", recordsOut)
        .put("records_in_per_sec", Math.round(inPerSec * 10) / 10.0)
        .put("records_out_per_sec", Math.round(outPerSec * 10) / 10.0)
        .put("errors", errors).put("last_error", lastError).put("restarts", restarts);
  }
}
