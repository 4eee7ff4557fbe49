package io.sluice.config;

import static io.sluice.config.ConfigKey.boolKey;
import static io.sluice.config.ConfigKey.intKey;
import static io.sluice.config.ConfigKey.longKey;
import static io.sluice.config.ConfigKey.stringKey;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import io.sluice.storage.MessageTimestamps;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Topic-level config overrides, under Kafka's topic-level names (the broker defaults carry a {@code log.} prefix
 * or, for {@code max.message.bytes}, are {@code message.max.bytes}). Validation happens when a topic is created,
 * so a bad override never reaches ZooKeeper.
 */
public final class TopicConfigs {
  public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
  public static final String CLEANUP_POLICY = "cleanup.policy";
  public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";

  /** The topic-level keys Sluice accepts; the bounds are Kafka's where Kafka has them. */
  public static final List<ConfigKey> KEYS = List.of(
      intKey("segment.bytes", 0, 1024, Integer.MAX_VALUE, "roll a segment before it exceeds this size"),
      longKey("segment.ms", 0, 1, "roll a segment once its first batch is this old"),
      intKey("index.interval.bytes", 0, 1, Integer.MAX_VALUE, "bytes of log between index entries"),
      intKey("max.message.bytes", 0, 1, Integer.MAX_VALUE, "largest batch accepted"),
      longKey("retention.ms", 0, -1, "delete segments older than this; -1 keeps forever"),
      longKey("retention.bytes", 0, -1, "delete oldest segments while larger; -1 no limit"),
      longKey("flush.messages", 0, 1, "fsync after this many records"),
      longKey("flush.ms", 0, 1, "fsync when the last fsync is older than this"),
      longKey("file.delete.delay.ms", 0, 0, "how long a deleted segment stays readable"),
      intKey(MIN_INSYNC_REPLICAS, 0, 1, Short.MAX_VALUE, "in-sync replicas an acks=all produce needs"),
      stringKey(CLEANUP_POLICY, "delete", "'delete', 'compact' or 'compact,delete'"),
      longKey("delete.retention.ms", 0, 0, "how long a tombstone stays in a compacted log"),
      longKey("min.compaction.lag.ms", 0, 0, "how long a record of a compacted log stays uncompacted at least"),
      longKey("max.compaction.lag.ms", Long.MAX_VALUE, 1, "a compacted log's active segment rolls once its first"
          + " record is this old, so it can be compacted"),
      stringKey(LogConfig.COMPRESSION_TYPE, "producer", "'producer' keeps each batch's codec; 'uncompressed', 'gzip',"
          + " 'snappy', 'lz4' or 'zstd' has the leader write every batch in that one"),
      stringKey(MessageTimestamps.TYPE, MessageTimestamps.CREATE_TIME, "'CreateTime' keeps the producer's record"
          + " timestamps; 'LogAppendTime' has the leader stamp each batch with its clock as it appends"),
      longKey(MessageTimestamps.BEFORE_MAX_MS, Long.MAX_VALUE, 0, "how far behind the broker's clock a CreateTime"
          + " record's timestamp may be"),
      longKey(MessageTimestamps.AFTER_MAX_MS, MessageTimestamps.DEFAULT_AFTER_MAX_MS, 0, "how far ahead of the"
          + " broker's clock a CreateTime record's timestamp may be"),
      boolKey(UNCLEAN_LEADER_ELECTION_ENABLE, false, "elect a replica outside the ISR when no ISR member is alive"
          + " (may lose acknowledged records)"));

  private static final java.util.Set<String> POLICIES = java.util.Set.of("delete", "compact", "compact,delete",
      "delete,compact");

  private TopicConfigs() {
  }

  /**
   * Checks every override and returns them normalised (trimmed strings, sorted by key).
   *
   * @throws SluiceException INVALID_REQUEST naming the key, for an unknown key or a bad value
   */
  public static Map<String, String> validate(Map<String, String> configs, LogConfig brokerDefaults) {
    return validate(configs, brokerDefaults, ErrorCode.INVALID_REQUEST);
  }

  /** {@link #validate(Map, LogConfig)}, failing with {@code code}. */
  static Map<String, String> validate(Map<String, String> configs, LogConfig brokerDefaults, ErrorCode code) {
    try {
      return check(configs, brokerDefaults);
    } catch (SluiceException e) {
      throw e.errorCode() == code ? e : new SluiceException(code, e.getMessage());
    }
  }

  /** The key named {@code name}; INVALID_REQUEST listing the known keys if there is none. */
  static ConfigKey known(String name) {
    return KEYS.stream().filter(k -> k.name().equals(name)).findFirst()
        .orElseThrow(() -> invalid("Unknown topic configuration '" + name + "'; known keys: "
            + KEYS.stream().map(ConfigKey::name).toList()));
  }

  private static Map<String, String> check(Map<String, String> configs, LogConfig brokerDefaults) {
    Map<String, String> normalised = new TreeMap<>();
    for (Map.Entry<String, String> e : configs.entrySet()) {
      ConfigKey key = known(e.getKey());
      if (e.getValue() == null) {
        throw invalid("Topic configuration " + e.getKey() + " has no value");
      }
      try {
        key.parse(e.getValue());
      } catch (ConfigException ce) {
        throw invalid(ce.getMessage().replace("configuration", "topic configuration"));
      }
      if (key.name().equals(CLEANUP_POLICY) && !POLICIES.contains(e.getValue().trim().replace(" ", ""))) {
        throw invalid("Topic configuration cleanup.policy must be 'delete', 'compact' or 'compact,delete', got '"
            + e.getValue() + "'");
      }
      normalised.put(e.getKey(), e.getValue().trim());
    }
    try {
      brokerDefaults.with(normalised);
    } catch (IllegalArgumentException iae) {
      throw invalid("Invalid topic configuration: " + iae.getMessage());
    }
    return normalised;
  }

  /** The log settings of a topic: the broker defaults with the topic's (already validated) overrides. */
  public static LogConfig logConfig(LogConfig brokerDefaults, Map<String, String> topicConfigs) {
    Map<String, String> logKeys = new LinkedHashMap<>(topicConfigs);
    logKeys.remove(MIN_INSYNC_REPLICAS);
    logKeys.remove(UNCLEAN_LEADER_ELECTION_ENABLE);
    return brokerDefaults.with(logKeys);
  }

  /** The topic's {@code min.insync.replicas}, or the broker's when the topic does not override it. */
  public static int minInsyncReplicas(Map<String, String> topicConfigs, int brokerDefault) {
    String v = topicConfigs.get(MIN_INSYNC_REPLICAS);
    return v == null ? brokerDefault : Integer.parseInt(v.trim());
  }

  /** The topic's {@code unclean.leader.election.enable}, or the broker's when the topic does not override it. */
  public static boolean uncleanLeaderElection(Map<String, String> topicConfigs, boolean brokerDefault) {
    String v = topicConfigs.get(UNCLEAN_LEADER_ELECTION_ENABLE);
    return v == null ? brokerDefault : Boolean.parseBoolean(v.trim());
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_REQUEST, message);
  }
}
