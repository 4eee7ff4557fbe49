package io.sluice.connect;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/**
 * A connector's committed source offsets as Kafka's {@link OffsetStorageReader} gives them to connectors and tasks,
 * read from this broker's copy of {@code __connect_offsets}. Values come back as Kafka Connect's JSON offsets do:
 * whole numbers as {@code Long}, decimals as {@code Double}, objects as maps.
 */
final class OffsetReader implements OffsetStorageReader {
  private final ConnectState state;
  private final String connector;
  /** Offsets that override the topic's (an exactly-once task's own record, which is written first). */
  private final Map<String, Map<String, Object>> overrides = new HashMap<>();

  OffsetReader(ConnectState state, String connector) {
    this.state = state;
    this.connector = connector;
  }

  void override(Map<String, ?> partition, Map<String, Object> offset) {
    overrides.put(key(connector, partition), offset);
  }

  static String key(String connector, Map<String, ?> partition) {
    return new JsonArray().add(connector).add(toJson(partition)).encode();
  }

  @Override
  public <T> Map<String, Object> offset(Map<String, T> partition) {
    String key = key(connector, partition);
    Map<String, Object> o = overrides.get(key);
    if (o != null) {
      return o;
    }
    String json = state.offsets.get(key);
    return json == null ? null : toConnect(new JsonObject(json));
  }

  @Override
  public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) {
    Map<Map<String, T>, Map<String, Object>> out = new HashMap<>();
    for (Map<String, T> p : partitions) {
      out.put(p, offset(p));
    }
    return out;
  }

  /** A map as canonical JSON (keys sorted, so equal maps give equal keys). */
  static JsonObject toJson(Map<String, ?> map) {
    JsonObject out = new JsonObject();
    new TreeMap<String, Object>(map).forEach((k, v) -> out.put(k, jsonValue(v)));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object jsonValue(Object v) {
    if (v instanceof Map<?, ?> m) {
      return toJson((Map<String, ?>) m);
    }
    if (v instanceof Collection<?> c) {
      JsonArray a = new JsonArray();
      c.forEach(x -> a.add(jsonValue(x)));
      return a;
    }
    if (v instanceof byte[] b) {
      return b;
    }
    return v;
  }

  static Map<String, Object> toConnect(JsonObject json) {
    Map<String, Object> out = new HashMap<>();
    json.forEach(e -> out.put(e.getKey(), connectValue(e.getValue())));
    return out;
  }

  private static Object connectValue(Object v) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    if (v instanceof JsonObject o) {
      return toConnect(o);
    }
    if (v instanceof JsonArray a) {
      List<Object> out = new ArrayList<>();
      a.forEach(x -> out.add(connectValue(x)));
      return out;
    }
    return v;
  }
}
