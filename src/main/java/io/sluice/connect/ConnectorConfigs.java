package io.sluice.connect;

import io.sluice.api.GroupIds;
import io.sluice.api.TopicPattern;
import io.sluice.broker.TopicNames;
import io.sluice.connect.Plugins.Kind;
import io.sluice.connect.Plugins.Plugin;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * A connector config's validation, as Kafka Connect's {@code PUT /connector-plugins/{type}/config/validate} reports
 * it: the worker's own keys (Kafka Connect's names and defaults, and Sluice's restart keys), every transformation's
 * and predicate's keys under their prefixes, and the connector's own {@link Connector#validate}. The result lists
 * each field with its definition, value and errors ({@link #toJson}); {@link #errorCount} says whether it may run.
 */
final class ConnectorConfigs {
  static final String NAME = "name";
  static final String CONNECTOR_CLASS = "connector.class";
  static final String TASKS_MAX = "tasks.max";
  static final String KEY_CONVERTER = "key.converter";
  static final String VALUE_CONVERTER = "value.converter";
  static final String HEADER_CONVERTER = "header.converter";
  static final String TRANSFORMS = "transforms";
  static final String PREDICATES = "predicates";
  static final String ERRORS_TOLERANCE = "errors.tolerance";
  static final String ERRORS_RETRY_TIMEOUT = "errors.retry.timeout";
  static final String ERRORS_RETRY_DELAY_MAX = "errors.retry.delay.max.ms";
  static final String ERRORS_LOG_ENABLE = "errors.log.enable";
  static final String ERRORS_LOG_INCLUDE_MESSAGES = "errors.log.include.messages";
  static final String DLQ_TOPIC = "errors.deadletterqueue.topic.name";
  static final String DLQ_RF = "errors.deadletterqueue.topic.replication.factor";
  static final String DLQ_CONTEXT_HEADERS = "errors.deadletterqueue.context.headers.enable";
  static final String TOPICS = "topics";
  static final String TOPICS_REGEX = "topics.regex";
  static final String RESTART_MAX_ATTEMPTS = "task.restart.max.attempts";
  static final String RESTART_BACKOFF_INITIAL = "task.restart.backoff.initial.ms";
  static final String RESTART_BACKOFF_MAX = "task.restart.backoff.max.ms";
  static final String OFFSET_FLUSH_INTERVAL = "offset.flush.interval.ms";
  static final String EXACTLY_ONCE_SUPPORT = "exactly.once.support";
  static final String SOURCE_MAX_IN_FLIGHT = "source.max.in.flight.records";
  static final String SOURCE_MAX_IN_FLIGHT_BYTES = "source.max.in.flight.bytes";

  static final String DEFAULT_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";
  static final String DEFAULT_HEADER_CONVERTER = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

  /**
   * The longest name. Every call names the connector in its URL's path, and a request line over the HTTP codec's
   * 4 KiB is refused (414): a longer name could be created but never read, paused or deleted. 249 characters stay
   * under it however they are percent-encoded (at most 9 bytes a character) and, for a sink, are a group id's limit.
   */
  static final int MAX_NAME_LENGTH = GroupIds.MAX_LENGTH;

  /**
   * Kafka Connect's rule for a name (not empty, no control characters), and not "." or "..": a URL's path cannot
   * name those (they are dot segments), so such a connector could be neither read, changed nor deleted; nor longer
   * than {@link #MAX_NAME_LENGTH}.
   */
  private static final ConfigDef.Validator NAME_RULE = ConfigDef.CompositeValidator.of(
      ConfigDef.NonEmptyStringWithoutControlChars.nonEmptyStringWithoutControlChars(),
      ConfigDef.LambdaValidator.with((key, value) -> {
        if (".".equals(value) || "..".equals(value)) {
          throw new ConfigException(key, value, "a URL's path cannot name a connector \".\" or \"..\"");
        }
        if (value instanceof String s && s.length() > MAX_NAME_LENGTH) {
          throw new ConfigException(key, s.substring(0, 40) + "...", "a name is at most " + MAX_NAME_LENGTH
              + " characters (this one has " + s.length() + "): every call names the connector in its URL");
        }
      }, () -> "not . or .., at most " + MAX_NAME_LENGTH + " characters"));

  private ConnectorConfigs() {
  }

  /** The keys every connector has, as Kafka Connect's {@code ConnectorConfig} (and sink/source additions) define. */
  static ConfigDef baseDef(boolean sink, int maxTasks) {
    ConfigDef def = new ConfigDef()
        .define(NAME, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, NAME_RULE, Importance.HIGH,
            "Globally unique name to use for this connector.", "Common", 1, ConfigDef.Width.MEDIUM, "Connector name")
        .define(CONNECTOR_CLASS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
            "Name or alias of the class for this connector.", "Common", 2, ConfigDef.Width.LONG, "Connector class")
        .define(TASKS_MAX, Type.INT, 1, ConfigDef.Range.between(1, maxTasks), Importance.HIGH,
            "Maximum number of tasks to use for this connector (at most connect.max.tasks.per.connector).", "Common", 3, ConfigDef.Width.SHORT, "Tasks max")
        .define(KEY_CONVERTER, Type.STRING, DEFAULT_CONVERTER, Importance.LOW, "Converter for keys.", "Common", 4,
            ConfigDef.Width.SHORT, "Key converter class")
        .define(VALUE_CONVERTER, Type.STRING, DEFAULT_CONVERTER, Importance.LOW, "Converter for values.", "Common",
            5, ConfigDef.Width.SHORT, "Value converter class")
        .define(HEADER_CONVERTER, Type.STRING, DEFAULT_HEADER_CONVERTER, Importance.LOW, "Converter for headers.",
            "Common", 6, ConfigDef.Width.SHORT, "Header converter class")
        .define(TRANSFORMS, Type.LIST, "", Importance.LOW, "Aliases for the transformations, in order.",
            "Transforms", 7, ConfigDef.Width.LONG, "Transforms")
        .define(PREDICATES, Type.LIST, "", Importance.LOW, "Aliases for the predicates used by transformations.",
            "Predicates", 8, ConfigDef.Width.LONG, "Predicates")
        .define(ERRORS_RETRY_TIMEOUT, Type.LONG, 0L, Importance.MEDIUM, "Total ms a failed operation is retried"
            + " (-1: forever).", "Error Handling", 9, ConfigDef.Width.MEDIUM, "Retry timeout")
        .define(ERRORS_RETRY_DELAY_MAX, Type.LONG, 60_000L, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
            "Largest delay between retries.", "Error Handling", 10, ConfigDef.Width.MEDIUM, "Max retry delay")
        .define(ERRORS_TOLERANCE, Type.STRING, "none", ConfigDef.ValidString.in("none", "all"), Importance.MEDIUM,
            "none: an error fails the task; all: problematic records are skipped.", "Error Handling", 11,
            ConfigDef.Width.SHORT, "Error tolerance")
        .define(ERRORS_LOG_ENABLE, Type.BOOLEAN, false, Importance.MEDIUM, "Log each error and failed operation.",
            "Error Handling", 12, ConfigDef.Width.SHORT, "Log errors")
        .define(ERRORS_LOG_INCLUDE_MESSAGES, Type.BOOLEAN, false, Importance.MEDIUM, "Include the record in the"
            + " log.", "Error Handling", 13, ConfigDef.Width.SHORT, "Log error details")
        .define(RESTART_MAX_ATTEMPTS, Type.INT, 10, ConfigDef.Range.atLeast(0), Importance.MEDIUM, "Sluice: times a"
            + " failed task or connector is restarted by itself before it stays FAILED.", "Sluice", 14,
            ConfigDef.Width.SHORT, "Restart attempts")
        .define(RESTART_BACKOFF_INITIAL, Type.LONG, 1_000L, ConfigDef.Range.atLeast(0), Importance.LOW, "Sluice:"
            + " delay before the first automatic restart; doubled each time.", "Sluice", 15, ConfigDef.Width.SHORT,
            "Restart backoff")
        .define(RESTART_BACKOFF_MAX, Type.LONG, 60_000L, ConfigDef.Range.atLeast(0), Importance.LOW, "Sluice: the"
            + " longest delay between automatic restarts.", "Sluice", 16, ConfigDef.Width.SHORT, "Max restart backoff")
        .define(OFFSET_FLUSH_INTERVAL, Type.LONG, 1_000L, ConfigDef.Range.atLeast(0), Importance.LOW, "How often"
            + " source offsets or sink positions are committed.", "Common", 17, ConfigDef.Width.SHORT,
            "Offset flush interval");
    if (sink) {
      def.define(TOPICS, Type.LIST, "", Importance.HIGH, "Topics to consume.", "Common", 18, ConfigDef.Width.LONG,
              "Topics")
          .define(TOPICS_REGEX, Type.STRING, "", Importance.HIGH, "Pattern of topics to consume.", "Common", 19,
              ConfigDef.Width.LONG, "Topics regex")
          .define(DLQ_TOPIC, Type.STRING, "", Importance.MEDIUM, "Dead letter queue topic; empty: none.",
              "Error Handling", 20, ConfigDef.Width.MEDIUM, "DLQ topic")
          .define(DLQ_RF, Type.SHORT, (short) 3, Importance.MEDIUM, "Replication factor of the dead letter queue"
              + " when it is created: refused when larger than the live brokers; -1 the broker's"
              + " default.replication.factor; unset, 3 capped by the live brokers.", "Error Handling", 21, ConfigDef.Width.SHORT,
              "DLQ replication factor")
          .define(DLQ_CONTEXT_HEADERS, Type.BOOLEAN, false, Importance.MEDIUM, "Add error context headers to"
              + " dead-lettered records.", "Error Handling", 22, ConfigDef.Width.SHORT, "DLQ context headers");
    } else {
      def.define(EXACTLY_ONCE_SUPPORT, Type.STRING, "requested", ConfigDef.ValidString.in("requested", "required"),
          Importance.MEDIUM, "requested: exactly once into the topic when the connector declares it supported;"
              + " required: always (the source must replay the same records from a committed offset).", "Common",
          18, ConfigDef.Width.SHORT, "Exactly once")
          .define(SOURCE_MAX_IN_FLIGHT, Type.INT, 10_000, ConfigDef.Range.between(1, 1_000_000), Importance.LOW,
              "Sluice: records sent and not yet acknowledged before the task waits to poll again (polls are"
                  + " pipelined; offsets are committed only up to the first unacknowledged record).", "Sluice", 19,
              ConfigDef.Width.SHORT, "Max records in flight")
          .define(SOURCE_MAX_IN_FLIGHT_BYTES, Type.LONG, 32L << 20, ConfigDef.Range.between(1, 1L << 30),
              Importance.LOW, "Sluice: bytes of keys, values and headers sent and not yet acknowledged before the task"
                  + " waits to poll again, as Kafka's producer bounds its buffer.memory (the task runs in the broker: large"
                  + " records times the record bound could take its heap).", "Sluice", 20, ConfigDef.Width.SHORT,
              "Max bytes in flight");
    }
    return def;
  }

  /** A validation result: every field's definition, value and errors. */
  record Result(String connectorClass, List<ConfigValue> values, Map<String, ConfigDef.ConfigKey> keys,
      Map<String, String> groupOf) {
    int errorCount() {
      return (int) values.stream().filter(v -> !v.errorMessages().isEmpty()).count();
    }

    /** "field: message" for every error. */
    List<String> errors() {
      List<String> out = new ArrayList<>();
      for (ConfigValue v : values) {
        for (String m : v.errorMessages()) {
          out.add(v.name() + ": " + m);
        }
      }
      return out;
    }

    JsonObject toJson() {
      JsonArray configs = new JsonArray();
      List<String> groups = new ArrayList<>();
      for (ConfigValue v : values) {
        ConfigDef.ConfigKey k = keys.get(v.name());
        if (k != null && k.group != null && !groups.contains(k.group)) {
          groups.add(k.group);
        }
        configs.add(new JsonObject().put("definition", definition(v.name(), k)).put("value", new JsonObject()
            .put("name", v.name()).put("value", v.value() == null ? null : String.valueOf(v.value()))
            .put("recommended_values", new JsonArray(v.recommendedValues().stream().map(String::valueOf).toList()))
            .put("errors", new JsonArray(new ArrayList<>(v.errorMessages()))).put("visible", v.visible())));
      }
      return new JsonObject().put("name", connectorClass).put("error_count", errorCount())
          .put("groups", new JsonArray(groups)).put("configs", configs);
    }

    private static JsonObject definition(String name, ConfigDef.ConfigKey k) {
      if (k == null) {
        return new JsonObject().put("name", name).put("type", "STRING").put("required", false)
            .put("default_value", null).put("importance", "LOW").put("documentation", "").put("group", null)
            .put("width", "NONE").put("display_name", name).put("dependents", new JsonArray()).put("order", -1);
      }
      Object dflt = k.hasDefault() ? k.defaultValue : null;
      return new JsonObject().put("name", name).put("type", k.type.name()).put("required", !k.hasDefault())
          .put("default_value", dflt == null ? null : ConfigDef.convertToString(dflt, k.type))
          .put("importance", k.importance.name()).put("documentation", k.documentation).put("group", k.group)
          .put("width", k.width.name()).put("display_name", k.displayName)
          .put("dependents", new JsonArray(k.dependents)).put("order", k.orderInGroup);
    }
  }

  /**
   * What a validation needs of the worker: {@code maxTasks}, the largest tasks.max
   * (connect.max.tasks.per.connector); {@code files}, where the FileStream connectors may read and write; {@code
   * topicCreation}, the worker's topic.creation.enable; {@code topicDefaults}, the broker's log settings a created
   * topic's configs are checked against; {@code liveBrokers}, asked (blocking) only when a replication factor needs
   * it.
   */
  record Worker(int maxTasks, FileConnectorPaths files, boolean topicCreation, LogConfig topicDefaults,
      IntSupplier liveBrokers) {
  }

  /** Validates {@code config} for the connector class it names (or {@code connectorType} when given). */
  static Result validate(Plugins plugins, Map<String, String> config, String connectorType, Worker worker) {
    int maxTasks = worker.maxTasks();
    FileConnectorPaths files = worker.files();
    String className = connectorType != null ? connectorType : config.get(CONNECTOR_CLASS);
    Plugin plugin = plugins.find(className, Kind.SOURCE, Kind.SINK).orElse(null);
    boolean sink = plugin != null && plugin.kind() == Kind.SINK;
    ConfigDef base = baseDef(sink, maxTasks);
    Map<String, ConfigDef.ConfigKey> keys = new LinkedHashMap<>(base.configKeys());
    Map<String, ConfigValue> values = new LinkedHashMap<>();
    for (ConfigValue v : base.validate(config)) {
      values.put(v.name(), v);
    }
    if (plugin == null) {
      values.get(CONNECTOR_CLASS).addErrorMessage("No source or sink connector plugin has the class name or alias '"
          + className + "'");
      return new Result(className, new ArrayList<>(values.values()), keys, Map.of());
    }
    checkPlugin(plugins, config, values, KEY_CONVERTER, Kind.CONVERTER);
    checkPlugin(plugins, config, values, VALUE_CONVERTER, Kind.CONVERTER);
    checkPlugin(plugins, config, values, HEADER_CONVERTER, Kind.HEADER_CONVERTER);
    if (sink) {
      checkTopics(config, values);
      checkGroup(config, values);
    } else if (worker.topicCreation()) {
      TopicCreation.validate(config, values, keys, worker.topicDefaults(), worker.liveBrokers());
    }
    validateChain(plugins, config, values, keys, TRANSFORMS, "transforms.", Kind.TRANSFORMATION);
    validateChain(plugins, config, values, keys, PREDICATES, "predicates.", Kind.PREDICATE);
    validateConnector(plugins, plugin, config, values, keys);
    checkFile(files, plugin, config, values);
    return new Result(plugin.className(), new ArrayList<>(values.values()), keys, Map.of());
  }

  /**
   * A sink's consumer group is {@code connect-<name>}, as in Kafka Connect, and Sluice's group ids are narrower than
   * Kafka's ({@link GroupIds}): a name making an illegal one would be accepted and its tasks fail at
   * every start.
   */
  private static void checkGroup(Map<String, String> config, Map<String, ConfigValue> values) {
    String name = config.get(NAME);
    if (name == null || !values.get(NAME).errorMessages().isEmpty()) {
      return;
    }
    try {
      GroupIds.validate(SinkTaskRunner.groupId(name));
    } catch (SluiceException e) {
      values.get(NAME).addErrorMessage("a sink connector's consumer group is connect-<name>, so its name may"
          + " contain only ASCII letters, digits, '.', '_' and '-', at most " + (GroupIds.MAX_LENGTH
          - SinkTaskRunner.groupId("").length()) + " characters: " + e.getMessage());
    }
  }

  private static void checkPlugin(Plugins plugins, Map<String, String> config, Map<String, ConfigValue> values,
      String key, Kind kind) {
    String name = config.get(key);
    if (name != null && plugins.find(name, kind).isEmpty()) {
      values.get(key).addErrorMessage("No " + kind.restName() + " plugin has the class name or alias '" + name + "'");
    }
  }

  private static void checkFile(FileConnectorPaths files, Plugin plugin, Map<String, String> config,
      Map<String, ConfigValue> values) {
    String refusal = files.refusal(plugin.className(), config);
    if (refusal != null) {
      values.computeIfAbsent(FileConnectorPaths.FILE, k -> new ConfigValue(k, config.get(k), List.of(),
          new ArrayList<>())).addErrorMessage(refusal);
    }
  }

  private static void checkTopics(Map<String, String> config, Map<String, ConfigValue> values) {
    boolean topics = !config.getOrDefault(TOPICS, "").isBlank();
    boolean regex = !config.getOrDefault(TOPICS_REGEX, "").isBlank();
    if (topics == regex) {
      String m = topics ? "Must configure only one of topics or topics.regex"
          : "Must configure one of topics or topics.regex";
      values.get(TOPICS).addErrorMessage(m);
      values.get(TOPICS_REGEX).addErrorMessage(m);
    }
    if (regex) {
      try {
        TopicPattern.compile(config.get(TOPICS_REGEX));
      } catch (IllegalArgumentException e) {
        values.get(TOPICS_REGEX).addErrorMessage("The pattern " + e.getMessage());
      }
    }
    String dlq = config.getOrDefault(DLQ_TOPIC, "");
    if (!dlq.isBlank() && java.util.Arrays.asList(config.getOrDefault(TOPICS, "").split("\\s*,\\s*")).contains(dlq)) {
      values.get(DLQ_TOPIC).addErrorMessage("The dead letter queue topic '" + dlq + "' may not be in topics");
    }
    if (topics) {
      for (String topic : parseList(config.get(TOPICS))) {
        legalTopic(values.get(TOPICS), topic);
      }
    }
    if (!dlq.isBlank()) {
      legalTopic(values.get(DLQ_TOPIC), dlq.trim());
    }
  }

  /**
   * A topic no broker could hold: the sink's task subscribed to it and sat RUNNING reading nothing from it, and a
   * dead letter queue so named failed only once a record needed it.
   */
  private static void legalTopic(ConfigValue value, String topic) {
    try {
      TopicNames.validate(topic);
    } catch (SluiceException e) {
      value.addErrorMessage(e.getMessage());
    }
  }

  /** Each alias of {@code transforms} or {@code predicates}: its type, then its own config under the prefix. */
  private static void validateChain(Plugins plugins, Map<String, String> config, Map<String, ConfigValue> values,
      Map<String, ConfigDef.ConfigKey> keys, String listKey, String prefix, Kind kind) {
    ConfigValue list = values.get(listKey);
    if (list == null || !list.errorMessages().isEmpty() || !(list.value() instanceof List<?> aliases)) {
      return;
    }
    List<String> predicateAliases = parseList(config.get(PREDICATES));
    for (Object o : aliases) {
      String alias = o.toString();
      String typeKey = prefix + alias + ".type";
      ConfigValue typeValue = new ConfigValue(typeKey, config.get(typeKey), List.of(), new ArrayList<>());
      values.put(typeKey, typeValue);
      String type = config.get(typeKey);
      if (type == null || type.isBlank()) {
        typeValue.addErrorMessage("Missing required configuration \"" + typeKey + "\" which has no default value.");
        continue;
      }
      Plugin plugin = plugins.find(type, kind).orElse(null);
      if (plugin == null) {
        typeValue.addErrorMessage("No " + kind.restName() + " plugin has the class name or alias '" + type + "'");
        continue;
      }
      if (kind == Kind.TRANSFORMATION) {
        String predicate = config.get(prefix + alias + ".predicate");
        if (predicate != null && !predicate.isBlank() && !predicateAliases.contains(predicate.trim())) {
          ConfigValue p = new ConfigValue(prefix + alias + ".predicate", predicate, List.of(), new ArrayList<>());
          p.addErrorMessage("Predicate '" + predicate + "' is not among the predicates: " + predicateAliases);
          values.put(p.name(), p);
        }
      }
      ConfigDef def = pluginConfigDef(plugins, plugin);
      Map<String, String> own = withPrefix(config, prefix + alias + ".");
      for (ConfigValue v : def.validate(own)) {
        String full = prefix + alias + "." + v.name();
        ConfigValue copy = new ConfigValue(full, v.value(), v.recommendedValues(), new ArrayList<>(v.errorMessages()));
        values.put(full, copy);
        keys.put(full, def.configKeys().get(v.name()));
      }
    }
  }

  private static ConfigDef pluginConfigDef(Plugins plugins, Plugin plugin) {
    Object instance = plugins.newInstance(plugin, Object.class);
    try {
      if (instance instanceof Transformation<?> t) {
        return t.config();
      }
      return ((Predicate<?>) instance).config();
    } finally {
      try {
        if (instance instanceof AutoCloseable c) {
          c.close();
        }
      } catch (Exception ignored) {
        // closing a never-configured instance: nothing to release
      }
    }
  }

  private static void validateConnector(Plugins plugins, Plugin plugin, Map<String, String> config,
      Map<String, ConfigValue> values, Map<String, ConfigDef.ConfigKey> keys) {
    Connector connector = plugins.newInstance(plugin, Connector.class);
    Config result;
    try {
      result = Plugins.withLoader(plugin.loader(), () -> connector.validate(ConnectorRunner.resolvedClass(config, plugin)));
    } catch (RuntimeException e) {
      values.get(CONNECTOR_CLASS).addErrorMessage("The connector's validate() failed: " + e);
      return;
    }
    ConfigDef def = Plugins.withLoader(plugin.loader(), connector::config);
    for (ConfigValue v : result.configValues()) {
      ConfigValue existing = values.get(v.name());
      if (existing != null) {
        v.errorMessages().forEach(existing::addErrorMessage);
      } else {
        values.put(v.name(), v);
        if (def != null && def.configKeys().containsKey(v.name())) {
          keys.put(v.name(), def.configKeys().get(v.name()));
        }
      }
    }
  }

  static Map<String, String> withPrefix(Map<String, String> config, String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    config.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k.substring(prefix.length()), v);
      }
    });
    return out;
  }

  static List<String> parseList(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    return java.util.Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
