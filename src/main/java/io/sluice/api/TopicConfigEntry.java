package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * One config of a topic as Kafka's DescribeConfigs and REST v3's {@code /topics/{t}/configs} show it: the value in
 * force, where it comes from, and the values that would apply in its place, most specific first.
 *
 * @param name the topic-level name
 * @param value the value in force
 * @param source {@link #TOPIC}, {@link #BROKER} or {@link #DEFAULT}
 * @param isDefault true when nothing sets it (the built-in default is in force)
 * @param readOnly true when it cannot be altered on a live topic
 * @param synonyms the topic's own value, the broker's key and the built-in default, each where it is set
 */
public record TopicConfigEntry(String name, String value, String source, boolean isDefault, boolean readOnly,
    List<Synonym> synonyms) implements Serializable {
  /** Kafka's source names. */
  public static final String TOPIC = "DYNAMIC_TOPIC_CONFIG";
  public static final String BROKER = "STATIC_BROKER_CONFIG";
  public static final String DEFAULT = "DEFAULT_CONFIG";

  public TopicConfigEntry {
    synonyms = List.copyOf(synonyms);
  }

  /** A value that would apply at one level: {@code name} is the key at that level (the broker's carries "log."). */
  public record Synonym(String name, String value, String source) implements Serializable {
  }
}
