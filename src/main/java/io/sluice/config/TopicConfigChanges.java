package io.sluice.config;

import io.sluice.api.ConfigAlteration;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Applies a batch of {@link ConfigAlteration}s to a topic's overrides, as Kafka's IncrementalAlterConfigs does for
 * one resource: all or nothing, every change checked before any is kept. Pure: the caller writes the result.
 *
 * <p>Refused (INVALID_CONFIG, naming the config and why): an unknown name, a bad value, a name twice in one batch,
 * and the two changes a live partition cannot take: {@code index.interval.bytes} (the partitions' index lookups rely
 * on the value their logs opened with) and a {@code cleanup.policy} that drops {@code compact} from a topic that has
 * it (a compacted log has offset gaps a plain log would take for corruption). {@code min.insync.replicas} above the
 * replication factor is refused as at creation: no acks=all produce could ever succeed.
 */
public final class TopicConfigChanges {
  /** Configs that cannot change on a live topic, with the reason given to the caller. */
  static final Map<String, String> READ_ONLY = Map.of("index.interval.bytes", "the partitions' index lookups rely on"
      + " the value their logs were opened with; create a new topic to use another");

  private TopicConfigChanges() {
  }

  /**
   * The overrides after {@code changes}, validated as a whole against {@code brokerDefaults}.
   *
   * @param current the topic's overrides now
   * @param brokerMinIsr the broker's {@code min.insync.replicas}, in force when the topic does not override it
   */
  public static Map<String, String> apply(Map<String, String> current, List<ConfigAlteration> changes,
      LogConfig brokerDefaults, int brokerMinIsr, int replicationFactor) {
    if (changes.isEmpty()) {
      throw invalid("No config changes given");
    }
    Map<String, String> next = new TreeMap<>(current);
    Set<String> seen = new HashSet<>();
    for (ConfigAlteration change : changes) {
      String name = change.name();
      if (!seen.add(name)) {
        throw invalid("Config '" + name + "' is named more than once in one alteration");
      }
      try {
        TopicConfigs.known(name);
      } catch (SluiceException e) {
        throw invalid(e.getMessage());
      }
      if (READ_ONLY.containsKey(name)) {
        throw invalid("Config '" + name + "' cannot be changed on an existing topic: " + READ_ONLY.get(name));
      }
      if (change.op() == ConfigAlteration.Op.SET) {
        if (change.value() == null) {
          throw invalid("Config '" + name + "' needs a value to be set");
        }
        next.put(name, change.value());
      } else {
        next.remove(name);
      }
    }
    Map<String, String> valid = TopicConfigs.validate(next, brokerDefaults, ErrorCode.INVALID_CONFIG);
    checkStillCompacted(current, valid);
    int minIsr = TopicConfigs.minInsyncReplicas(valid, brokerMinIsr);
    if (minIsr > replicationFactor) {
      throw invalid("Config 'min.insync.replicas' would be " + minIsr + ", above the topic's replication factor "
          + replicationFactor + ": no acks=all produce could ever succeed");
    }
    return valid;
  }

  private static void checkStillCompacted(Map<String, String> before, Map<String, String> after) {
    if (compacts(before) && !compacts(after)) {
      throw invalid("Config 'cleanup.policy' cannot go from '" + before.get(TopicConfigs.CLEANUP_POLICY) + "' to '"
          + after.getOrDefault(TopicConfigs.CLEANUP_POLICY, "delete (the default)") + "': the topic's logs may be"
          + " compacted already, and the offset gaps compaction leaves are valid only in a compacted log;"
          + " 'compact,delete' adds deletion by age and size");
    }
  }

  private static boolean compacts(Map<String, String> configs) {
    String policy = configs.get(TopicConfigs.CLEANUP_POLICY);
    return policy != null && policy.contains("compact");
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_CONFIG, message);
  }
}
