package io.sluice.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A stream definition as {@code POST /streams} takes it, built with a typed builder:
 *
 * <pre>{@code
 * StreamDefinition d = StreamDefinition.builder("eu-orders").inputs("orders").keyFormat("string")
 *     .filter("value.region == 'eu' && value.qty >= 10")
 *     .mapValue("{'id': value.id, 'total': value.qty * value.price}")
 *     .to("eu-orders")
 *     .build();
 * }</pre>
 *
 * Expressions are CEL and are compiled by the broker. Immutable.
 */
public final class StreamDefinition {
  private final JsonObject json;

  private StreamDefinition(JsonObject json) {
    this.json = json;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A definition written as JSON (the shape {@code docs/streams.md} shows). */
  public static StreamDefinition fromJson(JsonObject json) {
    return new StreamDefinition(json.copy());
  }

  public String name() {
    return json.getString("name");
  }

  public JsonObject toJson() {
    return json.copy();
  }

  /** A list of steps: the definition's own, or a branch arm's. */
  public static class Steps<T extends Steps<T>> {
    final JsonArray steps = new JsonArray();

    @SuppressWarnings("unchecked")
    private T self() {
      return (T) this;
    }

    private T step(String kind, Object body) {
      steps.add(new JsonObject().put(kind, body));
      return self();
    }

    public T filter(String expression) {
      return step("filter", expression);
    }

    /** A map step; null leaves that part unchanged. */
    public T map(String key, String value, String headers, String timestamp) {
      JsonObject m = new JsonObject();
      putIf(m, "key", key);
      putIf(m, "value", value);
      putIf(m, "headers", headers);
      putIf(m, "timestamp", timestamp);
      return step("map", m);
    }

    public T mapValue(String value) {
      return map(null, value, null, null);
    }

    public T flatMap(String listExpression) {
      return step("flat_map", listExpression);
    }

    public T selectKey(String expression) {
      return step("select_key", expression);
    }

    public T merge(String... topics) {
      return step("merge", new JsonArray(List.of((Object[]) topics)));
    }

    /** Writes to {@code topic}, partitioned by the key. */
    public T to(String topic) {
      return step("to", topic);
    }

    /** Writes to {@code topic}, partitioned by the expression. */
    public T to(String topic, String partitionExpression) {
      return step("to", new JsonObject().put("topic", topic).put("partition", partitionExpression));
    }

    /** A branch: the first arm whose condition holds takes the record ({@link Arm#otherwise()} for the default). */
    public T branch(Arm... arms) {
      JsonArray a = new JsonArray();
      for (Arm arm : arms) {
        JsonObject o = new JsonObject().put("steps", arm.steps.copy());
        putIf(o, "when", arm.when);
        a.add(o);
      }
      return step("branch", a);
    }

    private static void putIf(JsonObject o, String key, String value) {
      if (value != null) {
        o.put(key, value);
      }
    }
  }

  /** A branch arm: a condition (none for the default) and its own steps. */
  public static final class Arm extends Steps<Arm> {
    private final String when;

    private Arm(String when) {
      this.when = when;
    }

    public static Arm when(String expression) {
      return new Arm(Objects.requireNonNull(expression, "expression"));
    }

    public static Arm otherwise() {
      return new Arm(null);
    }
  }

  /** Builds a definition; formats, error handling and guarantee default as the broker documents. */
  public static final class Builder extends Steps<Builder> {
    private final JsonObject json = new JsonObject();
    private final List<String> inputs = new ArrayList<>();

    private Builder(String name) {
      json.put("name", Objects.requireNonNull(name, "name"));
    }

    public Builder inputs(String... topics) {
      inputs.addAll(List.of(topics));
      return this;
    }

    /** json, string or bytes. */
    public Builder keyFormat(String format) {
      json.put("key_format", format);
      return this;
    }

    /** json, string or bytes. */
    public Builder valueFormat(String format) {
      json.put("value_format", format);
      return this;
    }

    /** Bad records fail the task instead of going to the dead-letter topic. */
    public Builder failOnError() {
      json.put("on_error", "fail");
      return this;
    }

    /** At least once instead of exactly once. */
    public Builder atLeastOnce() {
      json.put("guarantee", "at_least_once");
      return this;
    }

    /** New tasks start at the end of their partitions instead of the beginning. */
    public Builder startLatest() {
      json.put("start", "latest");
      return this;
    }

    public Builder deadLetterTopic(String topic) {
      json.put("dead_letter_topic", topic);
      return this;
    }

    public StreamDefinition build() {
      return new StreamDefinition(json.copy().put("inputs", new JsonArray(new ArrayList<>(inputs)))
          .put("steps", steps.copy()));
    }
  }
}
