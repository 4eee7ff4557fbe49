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

    /**
     * Groups records by a new key (an expression) for the aggregation that follows; equal keys are brought to one
     * task through the stream's repartition topic.
     */
    public T groupBy(String keyExpression) {
      return step("group_by", keyExpression);
    }

    /** Groups records by their key (no repartition unless an earlier step changed the key). */
    public T groupByKey() {
      return step("group_by", "key");
    }

    /** Windows the aggregation that follows (after {@link #groupBy}). */
    public T window(Window window) {
      return step("window", window.json.copy());
    }

    public T count() {
      return count(Aggregation.defaults());
    }

    public T count(Aggregation options) {
      return step("count", options.json.copy());
    }

    public T sum(String valueExpression) {
      return sum(valueExpression, Aggregation.defaults());
    }

    public T sum(String valueExpression, Aggregation options) {
      return step("sum", options.json.copy().put("value", valueExpression));
    }

    public T min(String valueExpression, Aggregation options) {
      return step("min", options.json.copy().put("value", valueExpression));
    }

    public T max(String valueExpression, Aggregation options) {
      return step("max", options.json.copy().put("value", valueExpression));
    }

    public T avg(String valueExpression, Aggregation options) {
      return step("avg", options.json.copy().put("value", valueExpression));
    }

    /** The first value, then {@code fold} (over {@code aggregate} and {@code value}) of each next one into it. */
    public T reduce(String fold, Aggregation options) {
      return step("reduce", options.json.copy().put("fold", fold));
    }

    /**
     * {@code initial}, then {@code fold} (over {@code aggregate} and the record) of each record; {@code merge} (over
     * {@code aggregate} and {@code other}) joins two sessions, and may be null for other windows.
     */
    public T aggregate(String initial, String fold, String merge, Aggregation options) {
      JsonObject o = options.json.copy().put("initial", initial).put("fold", fold);
      putIf(o, "merge", merge);
      return step("aggregate", o);
    }

    /** A join with a table or, within a window, with another stream (both sides meet by key). */
    public T join(Join join) {
      return step("join", join.json.copy());
    }

    /** Turns the table before it (the definition's table, or an aggregation) into the records of its changes. */
    public T toStream() {
      return step("to_stream", new JsonObject());
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

  /** A window for an aggregation (durations as "60s", "500ms", "5m", "1h", "1d"). Immutable. */
  public static final class Window {
    private final JsonObject json;

    private Window(JsonObject json) {
      this.json = json;
    }

    public static Window tumbling(String size) {
      return new Window(new JsonObject().put("tumbling", size));
    }

    public static Window hopping(String size, String advance) {
      return new Window(new JsonObject().put("hopping", new JsonObject().put("size", size).put("advance", advance)));
    }

    public static Window sliding(String size) {
      return new Window(new JsonObject().put("sliding", size));
    }

    /** Sessions of records at most {@code gap} apart. */
    public static Window session(String gap) {
      return new Window(new JsonObject().put("session", gap));
    }

    /** How long after a window's end records may still arrive and count. */
    public Window grace(String grace) {
      return new Window(json.copy().put("grace", grace));
    }

    /** How long a closed window stays in the store (for queries). */
    public Window retention(String retention) {
      return new Window(json.copy().put("retention", retention));
    }

    /** The record time, an expression (default: the record's timestamp). */
    public Window time(String expression) {
      return new Window(json.copy().put("time", expression));
    }

    /** Sends late records to the dead-letter topic (by default they are dropped and counted). */
    public Window lateToDeadLetter() {
      return new Window(json.copy().put("late", "dead_letter"));
    }
  }

  /**
   * An aggregation's options: its store's name, whether it emits every update or only final results, and how long
   * an idle key stays.
   */
  public static final class Aggregation {
    private final JsonObject json;

    private Aggregation(JsonObject json) {
      this.json = json;
    }

    public static Aggregation defaults() {
      return new Aggregation(new JsonObject());
    }

    public Aggregation store(String name) {
      return new Aggregation(json.copy().put("store", name));
    }

    /** One result per window, when it closes (needs a window). */
    public Aggregation emitFinal() {
      return new Aggregation(json.copy().put("emit", "final"));
    }

    /**
     * Forgets a key not updated for {@code ttl} of stream time (record times), in the store and its changelog
     * alike, silently unless {@link #tombstoneOnExpiry} is asked; only for aggregations without a window.
     */
    public Aggregation ttl(java.time.Duration ttl) {
      return new Aggregation(json.copy().put("ttl", ttl.toMillis()));
    }

    /**
     * With a {@link #ttl}: an expired key emits nothing, only the store and its changelog forget it (the
     * default, said explicitly).
     */
    public Aggregation silentExpiry() {
      return new Aggregation(json.copy().put("on_expiry", "silent"));
    }

    /**
     * With a {@link #ttl}: an expired key sends its key with a null value (a tombstone) through the steps after
     * the aggregation, as a table's delete, so an output read as a table forgets it too.
     */
    public Aggregation tombstoneOnExpiry() {
      return new Aggregation(json.copy().put("on_expiry", "tombstone"));
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

  /**
   * A join: with a table ({@link #table}: inner or left; a table with a table when the definition reads a table:
   * inner, left or outer) or with a stream within a window ({@link #stream}: inner, left or outer). The joined value
   * is an expression over {@code left} and {@code right} (null for a side without a match); by default {@code
   * {'left': left, 'right': right}}. Immutable.
   */
  public static final class Join {
    private final JsonObject json;

    private Join(JsonObject json) {
      this.json = json;
    }

    /** Joins the topic {@code topic} read as a table (its latest value per key; a null value deletes). */
    public static Join table(String topic) {
      return new Join(new JsonObject().put("table", topic));
    }

    /** Joins the stream {@code topic}: records of a key whose times differ by at most {@code within}. */
    public static Join stream(String topic, String within) {
      return new Join(new JsonObject().put("stream", topic).put("within", within));
    }

    public Join inner() {
      return with("type", "inner");
    }

    /** Every left record (table row) joins, with a null right when it has no match. */
    public Join left() {
      return with("type", "left");
    }

    /** Either side joins, with a null for the side without a match. */
    public Join outer() {
      return with("type", "outer");
    }

    /** The joined value: an expression over {@code left}, {@code right} and {@code key}. */
    public Join value(String expression) {
      return with("value", expression);
    }

    /** The left record's join key, an expression (default: its key). */
    public Join key(String expression) {
      return with("key", expression);
    }

    /** How long after a stream-stream window records may still arrive and join. */
    public Join grace(String grace) {
      return with("grace", grace);
    }

    /**
     * How long records wait for a side that makes no progress before they join with what the store holds then
     * (default "5s"): both sides meet in time order, so a record first waits for the other side to reach its time.
     */
    public Join maxIdle(String duration) {
      return with("max_idle", duration);
    }

    /** The store's name (default "join"). */
    public Join store(String name) {
      return with("store", name);
    }

    private Join with(String field, String value) {
      return new Join(json.copy().put(field, Objects.requireNonNull(value, field)));
    }
  }

  /** Builds a definition; formats, error handling and guarantee default as the broker documents. */
  public static final class Builder extends Steps<Builder> {
    private final JsonObject json = new JsonObject();
    private final List<String> inputs = new ArrayList<>();

    private Builder(String name) {
      json.put("name", Objects.requireNonNull(name, "name"));
    }

    /** The definition reads the topic {@code topic} as a table (instead of inputs): its changes, or a join of it. */
    public Builder table(String topic) {
      json.put("table", Objects.requireNonNull(topic, "topic"));
      return this;
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

    /**
     * Keeps {@code replicas} (0 or 1) standby copies of each stateful task's store on another broker, so a failover
     * there restores only the changelog's tail.
     */
    public Builder standbyReplicas(int replicas) {
      json.put("standby_replicas", replicas);
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
      JsonObject out = json.copy();
      if (!json.containsKey("table") || !inputs.isEmpty()) {
        out.put("inputs", new JsonArray(new ArrayList<>(inputs)));
      }
      return new StreamDefinition(out.put("steps", steps.copy()));
    }
  }
}
