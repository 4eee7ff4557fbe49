package io.sluice.client;

/**
 * One change of a topic config for {@link Admin#alterTopicConfigs} (Kafka's {@code AlterConfigOp}, SET or DELETE):
 * {@link #set} gives the topic its own value, {@link #delete} removes it so the broker default applies again.
 *
 * @param name the topic-level config name, such as {@code retention.ms}
 * @param value the new value; null for a delete
 */
public record ConfigChange(String name, String value) {

  /** Sets {@code name} to {@code value} on the topic. */
  public static ConfigChange set(String name, String value) {
    if (value == null) {
      throw new IllegalArgumentException("A set of config '" + name + "' needs a value; use delete to remove it");
    }
    return new ConfigChange(name, value);
  }

  /** Removes the topic's own value of {@code name}: the broker default applies again. */
  public static ConfigChange delete(String name) {
    return new ConfigChange(name, null);
  }

  /** Whether this change removes the topic's value. */
  public boolean isDelete() {
    return value == null;
  }
}
