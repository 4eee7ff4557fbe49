package io.sluice.api;

import java.io.Serializable;

/**
 * One change of a topic config, as Kafka's IncrementalAlterConfigs and REST v3's {@code configs:alter} name them:
 * {@link Op#SET} gives the topic its own value, {@link Op#DELETE} removes the topic's value so the broker default
 * applies again (deleting a config the topic does not override changes nothing, as in Kafka).
 *
 * @param name the topic-level config name, such as {@code retention.ms}
 * @param op what to do
 * @param value the new value for {@link Op#SET}; null for {@link Op#DELETE}
 */
public record ConfigAlteration(String name, Op op, String value) implements Serializable {
  /** REST v3's operations (Kafka's APPEND and SUBTRACT, for list configs, are not offered). */
  public enum Op { SET, DELETE }

  public static ConfigAlteration set(String name, String value) {
    return new ConfigAlteration(name, Op.SET, value);
  }

  public static ConfigAlteration delete(String name) {
    return new ConfigAlteration(name, Op.DELETE, null);
  }
}
