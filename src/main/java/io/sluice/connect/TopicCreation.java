package io.sluice.connect;

import io.sluice.api.NewTopic;
import io.sluice.config.TopicConfigs;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;

/**
 * A source connector's {@code topic.creation.*} (Kafka's KIP-158): the topics its tasks write to are created, when
 * they do not exist, with the settings of the first group of {@code topic.creation.groups} whose {@code include}
 * matches and whose {@code exclude} does not (exclude wins), else of the {@code default} group. Each group has its
 * {@code replication.factor} and {@code partitions} (-1: the broker's default; the default group's are required, the
 * others' fall back to them) and any topic config under its prefix. Used when the worker's {@code
 * topic.creation.enable} is on and the connector sets any {@code topic.creation.} key, as Kafka Connect decides.
 */
final class TopicCreation {
  static final String PREFIX = "topic.creation.";
  static final String GROUPS = PREFIX + "groups";
  static final String DEFAULT_GROUP = "default";
  static final String INCLUDE = "include";
  static final String EXCLUDE = "exclude";
  static final String REPLICATION_FACTOR = "replication.factor";
  static final String PARTITIONS = "partitions";
  private static final List<String> GROUP_KEYS = List.of(INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS);

  /** Kafka's validator of both counts, with its message. */
  private static final ConfigDef.Validator MINUS_ONE_OR_POSITIVE = ConfigDef.LambdaValidator.with((name, value) -> {
    if (value instanceof Integer n && n != -1 && n < 1) {
      throw new ConfigException(name, n, "Value must be -1 or at least 1");
    }
  }, () -> "-1 or [1,...]");

  private static final ConfigDef.Validator UNIQUE_ALIASES = ConfigDef.LambdaValidator.with((name, value) -> {
    List<?> aliases = (List<?>) value;
    if (aliases != null && aliases.size() > new HashSet<>(aliases).size()) {
      throw new ConfigException(name, value, "Duplicate alias provided.");
    }
  }, () -> "unique topic creation groups");

  /** One group: which topics it takes and what they are created with. */
  record Group(String name, Pattern include, Pattern exclude, int replicationFactor, int partitions,
      Map<String, String> topicConfigs) {
    boolean matches(String topic) {
      return !exclude.matcher(topic).matches() && include.matcher(topic).matches();
    }
  }

  private final List<Group> groups;
  private final Group fallback;

  private TopicCreation(List<Group> groups, Group fallback) {
    this.groups = groups;
    this.fallback = fallback;
  }

  /** Whether the connector asks for topic creation: any {@code topic.creation.} key, as Kafka Connect decides. */
  static boolean used(Map<String, String> config) {
    return config.keySet().stream().anyMatch(k -> k.startsWith(PREFIX));
  }

  /** The connector's groups; null when it does not use topic creation. Its config was validated. */
  static TopicCreation of(Map<String, String> config) {
    if (!used(config)) {
      return null;
    }
    Map<String, Object> parsed = groupsDef(config).parse(config);
    Group fallback = group(DEFAULT_GROUP, parsed, config, -1, -1);
    List<Group> groups = new ArrayList<>();
    for (String alias : aliases(parsed)) {
      groups.add(group(alias, parsed, config, fallback.replicationFactor(), fallback.partitions()));
    }
    return new TopicCreation(groups, fallback);
  }

  /** The topic to create for {@code topic}: its group's counts and configs. */
  NewTopic newTopic(String topic) {
    Group g = groupFor(topic);
    return new NewTopic(topic, g.partitions(), g.replicationFactor(), g.topicConfigs());
  }

  Group groupFor(String topic) {
    return groups.stream().filter(g -> g.matches(topic)).findFirst().orElse(fallback);
  }

  /**
   * Adds the {@code topic.creation.*} keys' definitions, values and errors to a source connector's validation: the
   * counts (and a replication factor above the live brokers, which would fail every creation), the regexes, and each
   * group's topic configs as the broker would take them ({@code topicDefaults}: its log settings).
   */
  static void validate(Map<String, String> config, Map<String, ConfigValue> values,
      Map<String, ConfigDef.ConfigKey> keys, LogConfig topicDefaults, IntSupplier liveBrokers) {
    if (!used(config)) {
      return;
    }
    ConfigDef def = groupsDef(config);
    keys.putAll(def.configKeys());
    for (ConfigValue v : def.validate(config)) {
      values.put(v.name(), v);
    }
    int live = -1;
    for (String name : def.names()) {
      ConfigValue v = values.get(name);
      if (!v.errorMessages().isEmpty()) {
        continue;
      }
      if (name.endsWith("." + INCLUDE) || name.endsWith("." + EXCLUDE)) {
        checkRegex(v);
      } else if (name.endsWith("." + REPLICATION_FACTOR) && v.value() instanceof Integer rf && rf > 1) {
        live = live < 0 ? liveBrokers.getAsInt() : live;
        if (rf > live) {
          v.addErrorMessage("Unable to replicate the partition " + rf + " time(s): The target replication factor of "
              + rf + " cannot be reached because only " + live + " broker(s) are registered.");
        }
      }
    }
    checkTopicConfigs(config, values, groupNames(config, values), topicDefaults);
  }

  private static void checkRegex(ConfigValue v) {
    for (Object regex : (List<?>) v.value()) {
      try {
        Pattern.compile(regex.toString());
      } catch (PatternSyntaxException e) {
        v.addErrorMessage("Invalid regular expression '" + regex + "': " + e.getDescription());
      }
    }
  }

  private static void checkTopicConfigs(Map<String, String> config, Map<String, ConfigValue> values,
      List<String> groups, LogConfig topicDefaults) {
    for (String group : groups) {
      topicConfigs(config, group).forEach((k, v) -> {
        String full = PREFIX + group + "." + k;
        ConfigValue value = values.computeIfAbsent(full, n -> new ConfigValue(n, v, List.of(), new ArrayList<>()));
        try {
          TopicConfigs.validate(Map.of(k, v == null ? "" : v), topicDefaults);
        } catch (SluiceException e) {
          value.addErrorMessage(e.getMessage());
        }
      });
    }
  }

  private static List<String> groupNames(Map<String, String> config, Map<String, ConfigValue> values) {
    List<String> names = new ArrayList<>(List.of(DEFAULT_GROUP));
    if (values.get(GROUPS).errorMessages().isEmpty()) {
      names.addAll(aliases(ConnectorConfigs.parseList(config.get(GROUPS))));
    }
    return names;
  }

  /** The configs under a group's prefix that are not the group's own keys: the topic configs. */
  private static Map<String, String> topicConfigs(Map<String, String> config, String group) {
    Map<String, String> out = new LinkedHashMap<>(ConnectorConfigs.withPrefix(config, PREFIX + group + "."));
    GROUP_KEYS.forEach(out::remove);
    return out;
  }

  private static List<String> aliases(Map<String, Object> parsed) {
    return aliases(((List<?>) parsed.get(GROUPS)).stream().map(Object::toString).toList());
  }

  /** The groups named, {@code default} left out (it always exists, and is the last resort). */
  private static List<String> aliases(List<String> named) {
    return named.stream().filter(a -> !a.equals(DEFAULT_GROUP)).distinct().toList();
  }

  private static Group group(String name, Map<String, Object> parsed, Map<String, String> config, int rf,
      int partitions) {
    String p = PREFIX + name + ".";
    Object groupRf = parsed.get(p + REPLICATION_FACTOR);
    Object groupPartitions = parsed.get(p + PARTITIONS);
    return new Group(name, pattern(parsed.get(p + INCLUDE)), pattern(parsed.get(p + EXCLUDE)),
        groupRf == null ? rf : (Integer) groupRf, groupPartitions == null ? partitions : (Integer) groupPartitions,
        topicConfigs(config, name));
  }

  /** A regex list as one pattern, as Kafka Connect joins it; an empty list matches no topic. */
  private static Pattern pattern(Object list) {
    return Pattern.compile(String.join("|", ((List<?>) list).stream().map(Object::toString).toList()));
  }

  /** The definitions: the groups list, the default group's (counts required), and each named group's. */
  private static ConfigDef groupsDef(Map<String, String> config) {
    ConfigDef def = new ConfigDef().define(GROUPS, Type.LIST, List.of(), UNIQUE_ALIASES, Importance.LOW,
        "Groups of configurations for topics created by source connectors ('default' always exists).",
        "Topic Creation", 1, ConfigDef.Width.LONG, "Topic Creation Groups");
    defineGroup(def, DEFAULT_GROUP, ".*", ConfigDef.NO_DEFAULT_VALUE);
    List<String> named;
    try {
      named = aliases(ConnectorConfigs.parseList(config.get(GROUPS)));
    } catch (RuntimeException e) {
      named = List.of();
    }
    for (String alias : named) {
      defineGroup(def, alias, "", null);
    }
    return def;
  }

  /** {@code counts}: the counts' default (none for the default group: required; null for another: the default's). */
  private static void defineGroup(ConfigDef def, String group, String include, Object counts) {
    String p = PREFIX + group + ".";
    String section = "Topic Creation " + group;
    def.define(p + INCLUDE, Type.LIST, include, new ConfigDef.NonNullValidator(), Importance.LOW, "Regular"
            + " expressions of the topic names this group's settings apply to (the default group: every other one).",
            section, 1, ConfigDef.Width.LONG, "Inclusion Topic Pattern for " + group)
        .define(p + EXCLUDE, Type.LIST, "", new ConfigDef.NonNullValidator(), Importance.LOW, "Regular expressions"
            + " of topic names this group does not take, even if included: exclusion wins.", section, 2,
            ConfigDef.Width.LONG, "Exclusion Topic Pattern for " + group)
        .define(p + REPLICATION_FACTOR, Type.INT, counts, MINUS_ONE_OR_POSITIVE, Importance.LOW, "Replication"
            + " factor of the topics this group creates, not above the live brokers; -1: the broker's"
            + " default.replication.factor.", section, 3, ConfigDef.Width.LONG,
            "Replication Factor for Topics in " + group)
        .define(p + PARTITIONS, Type.INT, counts, MINUS_ONE_OR_POSITIVE, Importance.LOW, "Partitions of the topics"
            + " this group creates; -1: the broker's num.partitions.", section, 4, ConfigDef.Width.LONG,
            "Partition Count for Topics in " + group);
  }
}
