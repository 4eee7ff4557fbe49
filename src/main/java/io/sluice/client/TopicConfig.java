package io.sluice.client;

import java.util.List;

/**
 * One config of a topic as the broker describes it (Kafka's {@code ConfigEntry}): the value in force, where it comes
 * from ({@code DYNAMIC_TOPIC_CONFIG}: the topic's own; {@code STATIC_BROKER_CONFIG}: the broker's {@code log.*} key;
 * {@code DEFAULT_CONFIG}: the built-in default) and the values that would apply in its place, most specific first.
 *
 * @param name the topic-level name, such as {@code retention.ms}
 * @param value the value in force
 * @param source where {@code value} comes from
 * @param isDefault true when nothing sets it
 * @param readOnly true when a live topic cannot change it
 * @param synonyms the topic's, the broker's and the built-in value, each where set
 */
public record TopicConfig(String name, String value, String source, boolean isDefault, boolean readOnly,
    List<Synonym> synonyms) {

  public TopicConfig {
    synonyms = List.copyOf(synonyms);
  }

  /** Whether the topic sets this config itself (rather than taking the broker's default). */
  public boolean isTopicOverride() {
    return "DYNAMIC_TOPIC_CONFIG".equals(source);
  }

  /**
   * A value at one level; {@code name} is the key at that level (the broker's carries {@code log.}).
   *
   * @param name the key
   * @param value its value
   * @param source its level
   */
  public record Synonym(String name, String value, String source) {
  }
}
