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
 *  "start": "earliest" | "latest", "dead_letter_topic": "eu-orders-dlq",
 *  "steps": [{"filter": "..."}, {"map": {"key": "...", "value": "...", "headers": "...", "timestamp": "..."}},
 *            {"flat_map": "..."}, {"select_key": "..."}, {"merge": ["other-input"]},
 *            {"branch": [{"when": "...", "steps": [...]}, {"steps": [...]}]},
 *            {"to": "topic"} | {"to": {"topic": "...", "partition": "..."}}]}
 * </pre>
 *
 * Every list of steps ends in a {@code to} or a {@code branch} (an empty list, in a branch arm, drops the record);
 * {@code to} is last in its list. Immutable and thread-safe.
 */
public record StreamDefinition(String name, List<String> inputs, Format keyFormat, Format valueFormat,
    boolean failOnError, boolean exactlyOnce, boolean startLatest, String deadLetterTopic, List<Step> steps,
    Set<String> outputTopics, JsonObject json) {

  /** Limits a definition is held to. */
  public record Limits(int maxSteps, int maxOutputsPerRecord) {
  }

  /** The default dead-letter topic of stream {@code name}. */
  public static String defaultDeadLetterTopic(String name) {
    return name + "-dlq";
  }

}
