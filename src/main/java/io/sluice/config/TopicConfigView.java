package io.sluice.config;

import io.sluice.api.TopicConfigEntry;
import io.sluice.api.TopicConfigEntry.Synonym;
import io.sluice.storage.LogConfig;
import io.sluice.storage.MessageTimestamps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every topic config with the value in force and its source, as Kafka's DescribeConfigs answers with synonyms: the
 * topic's override, else the broker's {@code log.*} key when its configuration sets it, else the built-in default.
 */
public final class TopicConfigView {
  /** Topic-level name to the broker key that defaults it; cleanup.policy has none (its default is "delete"). */
  private static final Map<String, String> BROKER_KEYS = Map.ofEntries(
      Map.entry("segment.bytes", BrokerConfig.LOG_SEGMENT_BYTES),
      Map.entry("segment.ms", BrokerConfig.LOG_SEGMENT_MS),
      Map.entry("index.interval.bytes", BrokerConfig.LOG_INDEX_INTERVAL_BYTES),
      Map.entry("max.message.bytes", BrokerConfig.MESSAGE_MAX_BYTES),
      Map.entry("retention.ms", BrokerConfig.LOG_RETENTION_MS),
      Map.entry("retention.bytes", BrokerConfig.LOG_RETENTION_BYTES),
      Map.entry("flush.messages", BrokerConfig.LOG_FLUSH_INTERVAL_MESSAGES),
      Map.entry("flush.ms", BrokerConfig.LOG_FLUSH_INTERVAL_MS),
      Map.entry("file.delete.delay.ms", BrokerConfig.LOG_SEGMENT_DELETE_DELAY_MS),
      Map.entry(TopicConfigs.MIN_INSYNC_REPLICAS, BrokerConfig.MIN_INSYNC_REPLICAS),
      Map.entry("delete.retention.ms", BrokerConfig.LOG_CLEANER_DELETE_RETENTION_MS),
      Map.entry("min.compaction.lag.ms", BrokerConfig.LOG_CLEANER_MIN_COMPACTION_LAG_MS),
      Map.entry("max.compaction.lag.ms", BrokerConfig.LOG_CLEANER_MAX_COMPACTION_LAG_MS),
      Map.entry(LogConfig.COMPRESSION_TYPE, BrokerConfig.COMPRESSION_TYPE),
      Map.entry(MessageTimestamps.TYPE, BrokerConfig.LOG_MESSAGE_TIMESTAMP_TYPE),
      Map.entry(MessageTimestamps.BEFORE_MAX_MS, BrokerConfig.LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS),
      Map.entry(MessageTimestamps.AFTER_MAX_MS, BrokerConfig.LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS),
      Map.entry(TopicConfigs.UNCLEAN_LEADER_ELECTION_ENABLE, BrokerConfig.UNCLEAN_LEADER_ELECTION_ENABLE));

  private TopicConfigView() {
  }

  /** Every key of {@link TopicConfigs#KEYS}, in that order, for a topic with {@code overrides} on this broker. */
  public static List<TopicConfigEntry> describe(Map<String, String> overrides, BrokerConfig broker) {
    List<TopicConfigEntry> out = new ArrayList<>(TopicConfigs.KEYS.size());
    for (ConfigKey key : TopicConfigs.KEYS) {
      out.add(entry(key, overrides.get(key.name()), broker));
    }
    return out;
  }

  private static TopicConfigEntry entry(ConfigKey key, String override, BrokerConfig broker) {
    List<Synonym> synonyms = new ArrayList<>(3);
    if (override != null) {
      synonyms.add(new Synonym(key.name(), override, TopicConfigEntry.TOPIC));
    }
    String brokerKey = BROKER_KEYS.get(key.name());
    if (BrokerConfig.LOG_SEGMENT_MS.equals(brokerKey) && broker.rawValue(brokerKey).isEmpty()
        && broker.rawValue(BrokerConfig.LOG_ROLL_MS).isPresent()) {
      brokerKey = BrokerConfig.LOG_ROLL_MS; // Kafka's older name, which BrokerConfig#segmentMs falls back to
    }
    Object builtIn = brokerKey == null ? key.defaultValue() : BrokerConfig.key(brokerKey).orElseThrow().defaultValue();
    if (brokerKey != null && broker.rawValue(brokerKey).isPresent()) {
      synonyms.add(new Synonym(brokerKey, String.valueOf(broker.effectiveValues().get(brokerKey)),
          TopicConfigEntry.BROKER));
    }
    synonyms.add(new Synonym(brokerKey == null ? key.name() : brokerKey, String.valueOf(builtIn),
        TopicConfigEntry.DEFAULT));
    Synonym inForce = synonyms.get(0);
    return new TopicConfigEntry(key.name(), inForce.value(), inForce.source(),
        inForce.source().equals(TopicConfigEntry.DEFAULT), TopicConfigChanges.READ_ONLY.containsKey(key.name()),
        synonyms);
  }
}
