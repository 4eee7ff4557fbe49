package io.sluice.connect;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cluster's connector state as this broker has read it from the internal topics, and the record keys used there.
 *
 * <p>{@code __connect_configs}: {@code connector-<name>} (the config, a JSON object of strings), {@code
 * target-state-<name>} ({@code {"state": "STARTED|PAUSED|STOPPED"}}), {@code tasks-<name>} ({@code {"generation": g,
 * "tasks": [config...]}}, written by the broker running the connector), {@code restart-<name>} and {@code
 * restart-task-<name>-<id>} (restart requests, {@code {"request": uuid, ...}}).
 *
 * <p>{@code __connect_status}: {@code status-connector-<name>}, {@code status-task-<name>-<id>} ({@code {"state",
 * "trace", "worker_id"}}), and {@code topic-<topic>-connector-<name>} (topics a connector used, Kafka's KIP-558).
 *
 * <p>{@code __connect_offsets}: key {@code ["<name>", <source partition>]}, value the source offset (Kafka Connect's
 * layout); a source task with exactly-once delivery also keeps {@code ["<name>", {"sluice.task": id}]}.
 */
final class ConnectState {
  static final String CONFIGS_TOPIC = "__connect_configs";
  static final String STATUS_TOPIC = "__connect_status";
  static final String OFFSETS_TOPIC = "__connect_offsets";

  enum TargetState { STARTED, PAUSED, STOPPED }

  final InternalTopic configs;
  final InternalTopic status;
  final InternalTopic offsets;

  ConnectState(InternalTopic configs, InternalTopic status, InternalTopic offsets) {
    this.configs = configs;
    this.status = status;
    this.offsets = offsets;
  }

  static String connectorKey(String name) {
    return "connector-" + name;
  }

  static String targetStateKey(String name) {
    return "target-state-" + name;
  }

  static String tasksKey(String name) {
    return "tasks-" + name;
  }

  static String restartKey(String name) {
    return "restart-" + name;
  }

  static String restartTaskKey(String name, int task) {
    return "restart-task-" + name + "-" + task;
  }

  /** Who last wrote the connector's config: its tasks read only what that principal may ({@link ConnectAccess}). */
  static String creatorKey(String name) {
    return "creator-" + name;
  }

  /** The principal who last wrote the connector's config; null for one written before the broker recorded it. */
  io.sluice.api.Principal creator(String name) {
    String json = configs.get(creatorKey(name));
    if (json == null) {
      return null;
    }
    JsonObject o = new JsonObject(json);
    return new io.sluice.api.Principal(o.getString("type"), o.getString("name"));
  }

  static String creatorJson(io.sluice.api.Principal principal) {
    return new JsonObject().put("type", principal.type()).put("name", principal.name()).encode();
  }

  static String connectorStatusKey(String name) {
    return "status-connector-" + name;
  }

  static String taskStatusKey(String name, int task) {
    return "status-task-" + name + "-" + task;
  }

  static String topicKey(String topic, String name) {
    return "topic-" + topic + "-connector-" + name;
  }

  static String offsetKey(String name, JsonObject sourcePartition) {
    return new JsonArray().add(name).add(sourcePartition).encode();
  }

  /** Names of every connector, sorted. */
  List<String> connectorNames() {
    TreeSet<String> names = new TreeSet<>();
    for (String key : configs.values().keySet()) {
      if (key.startsWith("connector-")) {
        names.add(key.substring("connector-".length()));
      }
    }
    return new ArrayList<>(names);
  }

  /** The connector's config, or null if there is no such connector. */
  Map<String, String> config(String name) {
    String json = configs.get(connectorKey(name));
    if (json == null) {
      return null;
    }
    Map<String, String> out = new TreeMap<>();
    new JsonObject(json).forEach(e -> out.put(e.getKey(), e.getValue() == null ? null : e.getValue().toString()));
    return out;
  }

  String configJson(String name) {
    return configs.get(connectorKey(name));
  }

  TargetState targetState(String name) {
    String json = configs.get(targetStateKey(name));
    return json == null ? TargetState.STARTED : TargetState.valueOf(new JsonObject(json).getString("state"));
  }

  /** The task configs the connector last generated (empty before its first run). */
  List<Map<String, String>> taskConfigs(String name) {
    String json = configs.get(tasksKey(name));
    if (json == null) {
      return List.of();
    }
    List<Map<String, String>> out = new ArrayList<>();
    for (Object o : new JsonObject(json).getJsonArray("tasks")) {
      Map<String, String> task = new TreeMap<>();
      ((JsonObject) o).forEach(e -> task.put(e.getKey(), e.getValue() == null ? null : e.getValue().toString()));
      out.add(task);
    }
    return out;
  }

  long taskGeneration(String name) {
    String json = configs.get(tasksKey(name));
    return json == null ? -1 : new JsonObject(json).getLong("generation", 0L);
  }

  /** The restart request currently recorded for a connector or task, as an opaque id; "" when none. */
  String restartRequest(String key) {
    String json = configs.get(key);
    return json == null ? "" : json;
  }

  JsonObject connectorStatus(String name) {
    String json = status.get(connectorStatusKey(name));
    return json == null ? null : new JsonObject(json);
  }

  JsonObject taskStatus(String name, int task) {
    String json = status.get(taskStatusKey(name, task));
    return json == null ? null : new JsonObject(json);
  }

  /** Topics the connector has used, sorted. */
  List<String> activeTopics(String name) {
    TreeSet<String> topics = new TreeSet<>();
    for (Map.Entry<String, String> e : status.values().entrySet()) {
      if (e.getKey().startsWith("topic-")) {
        JsonObject t = new JsonObject(e.getValue()).getJsonObject("topic");
        if (name.equals(t.getString("connector"))) {
          topics.add(t.getString("name"));
        }
      }
    }
    return new ArrayList<>(topics);
  }

  /** The connector's committed source offsets: source partition to offset. */
  Map<JsonObject, JsonObject> sourceOffsets(String name) {
    Map<JsonObject, JsonObject> out = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, String> e : offsets.values().entrySet()) {
      if (!e.getKey().startsWith("[")) {
        continue;
      }
      JsonArray key = new JsonArray(e.getKey());
      if (key.size() == 2 && name.equals(key.getString(0)) && key.getValue(1) instanceof JsonObject p
          && !p.containsKey(EXACTLY_ONCE_TASK_FIELD)) {
        out.put(p, new JsonObject(e.getValue()));
      }
    }
    return out;
  }

  /** Keys in the offsets topic that belong to the connector (partition offsets and task records). */
  List<String> offsetKeys(String name) {
    List<String> keys = new ArrayList<>();
    for (String k : offsets.values().keySet()) {
      if (k.startsWith("[")) {
        JsonArray key = new JsonArray(k);
        if (key.size() == 2 && name.equals(key.getString(0))) {
          keys.add(k);
        }
      }
    }
    return keys;
  }

  static final String EXACTLY_ONCE_TASK_FIELD = "sluice.task";

  static String exactlyOnceKey(String name, int task) {
    return offsetKey(name, new JsonObject().put(EXACTLY_ONCE_TASK_FIELD, task));
  }
}
