package io.sluice.client;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream as {@code GET /streams/{name}} describes it (the list leaves {@code definition} null and {@code tasks}
 * empty).
 *
 * @param state RUNNING, PAUSED or FAILED
 */
public record StreamDescription(String name, long version, String state, long errors, JsonObject definition,
    List<Task> tasks) {

  /**
   * One task: an input partition, where it runs and how it is doing. For a task with a state store, {@code
   * lateRecords} counts records later than their windows' grace, {@code expiredEntries} the entries its store's TTL
   * removed ({@code "ttl"} of an aggregation), and {@code restore} is its store's restore from
   * the changelog ({@code {"state": "RESTORING" | "DONE", "records", "from", "to", "position"}}; null otherwise).
   */
  public record Task(String topic, int partition, int broker, String state, long version, long position, long lag,
      long recordsIn, long recordsOut, double recordsInPerSec, double recordsOutPerSec, long errors, String lastError,
      long restarts, long lateRecords, long expiredEntries, JsonObject restore) {
  }

  /** Reads the broker's JSON. */
  public static StreamDescription fromJson(JsonObject json) {
    List<Task> tasks = new ArrayList<>();
    if (json.getJsonArray("tasks") != null) {
      for (Object o : json.getJsonArray("tasks")) {
        JsonObject t = (JsonObject) o;
        tasks.add(new Task(t.getString("topic"), t.getInteger("partition"), t.getInteger("broker", -1),
            t.getString("state"), t.getLong("version", 0L), t.getLong("position", -1L), t.getLong("lag", 0L),
            t.getLong("records_in", 0L), t.getLong("records_out", 0L), t.getDouble("records_in_per_sec", 0.0),
            t.getDouble("records_out_per_sec", 0.0), t.getLong("errors", 0L), t.getString("last_error"),
            t.getLong("restarts", 0L), t.getValue("late_records") instanceof Number n ? n.longValue() : 0L,
            t.getLong("expired_entries", 0L), t.getJsonObject("restore")));
      }
    }
    return new StreamDescription(json.getString("name"), json.getLong("version", 0L), json.getString("state"),
        json.getLong("errors", 0L), json.getJsonObject("definition"), List.copyOf(tasks));
  }
}
