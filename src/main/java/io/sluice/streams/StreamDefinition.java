package io.sluice.streams;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A parsed and compiled stream definition, as {@code POST /streams} takes it:
 *
 * <pre>
 * {"name": "eu-orders", "inputs": ["orders"], "key_format": "string", "value_format": "json",
 *  "on_error": "dead_letter" | "fail", "guarantee": "exactly_once" | "at_least_once",
 *  "start": "earliest" | "latest", "dead_letter_topic": "eu-orders-dlq", "standby_replicas": 0 | 1,
 *  "steps": [{"filter": "..."}, {"map": {"key": "...", "value": "...", "headers": "...", "timestamp": "..."}},
 *            {"flat_map": "..."}, {"select_key": "..."}, {"merge": ["other-input"]},
 *            {"branch": [{"when": "...", "steps": [...]}, {"steps": [...]}]},
 *            {"to": "topic"} | {"to": {"topic": "...", "partition": "..."}}]}
 * </pre>
 *
 * and, once per definition in the top-level steps, {@code {"group_by": "<expression>" | "key"}}, an optional
 * {@code {"window": {...}}} and an aggregation ({@code count}, {@code sum}, ...): see {@link AggregateParser}.
 * {@code repartitionTopic}: the internal topic that brings equal keys to one task (null when none is needed);
 * {@code aggregate}: the aggregation step (null for a stateless stream). {@code outputTopics} include the internal
 * topics (repartition and changelogs): they are written through the same exactly-once writer.
 *
 * <p>Every list of steps ends in a {@code to} or a {@code branch} (an empty list, in a branch arm, drops the record);
 * {@code to} is last in its list. Immutable and thread-safe.
 */
public record StreamDefinition(String name, List<String> inputs, Format keyFormat, Format valueFormat,
    boolean failOnError, boolean exactlyOnce, boolean startLatest, String deadLetterTopic, List<Step> steps,
    Set<String> outputTopics, JsonObject json, String repartitionTopic, Step.Aggregate aggregate,
    Step.Join join) {

  /** Limits a definition is held to. */
  public record Limits(int maxSteps, int maxOutputsPerRecord) {
  }

  /** The topics a task reads: the inputs, and the repartition topic if there is one. */
  public List<String> taskInputs() {
    if (repartitionTopic == null) {
      return inputs;
    }
    List<String> all = new ArrayList<>(inputs);
    all.add(repartitionTopic);
    return all;
  }

  /** Standby copies of each stateful task's store ({@code "standby_replicas"}, 0 or 1). */
  public int standbyReplicas() {
    return keyed() == null ? 0 : json.getInteger("standby_replicas", 0);
  }

  /** The topic whose partitions' tasks keep the stream's state: the repartition topic, or the single input. */
  public String stateTopic() {
    return keyed() == null ? null : repartitionTopic != null ? repartitionTopic : inputs.get(0);
  }

  /** The changelog topic of the stream's store, or null for a stateless stream. */
  public String changelogTopic() {
    return store() == null ? null : TaskStores.changelogTopic(name, store());
  }

  /** The step where records meet by key in one task (the aggregation or the join), or null for a stateless stream. */
  public Step keyed() {
    return aggregate != null ? aggregate : join;
  }

  /** The name of the stream's store (its aggregation's or its join's), or null for a stateless stream. */
  public String store() {
    return aggregate != null ? aggregate.store() : join != null ? join.store() : null;
  }

  /** The default dead-letter topic of stream {@code name}. */
  public static String defaultDeadLetterTopic(String name) {
    return name + "-dlq";
  }

}
