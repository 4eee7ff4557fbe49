package io.sluice.connect.builtin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * A source for demos and benchmarks: {@code records.per.second} records in all (spread over its tasks; 0 means as
 * fast as they can be written), up to {@code max.records} each task (0: no end), into {@code topic}. Keys are
 * {@code key-<n mod key.cardinality>} (or none when {@code key.cardinality} is 0); values are strings of {@code
 * value.size.bytes} bytes ({@code value.shape=string}) or structs {@code {id, key, payload}} ({@code struct}).
 * Records are a pure function of their sequence number, whose offset is committed, so the generator replays the
 * same records after a restart: exactly once into the topic.
 */
public final class LoadGeneratorConnector extends SourceConnector {
  public static final String TOPIC = "topic";
  public static final String RATE = "records.per.second";
  public static final String MAX_RECORDS = "max.records";
  public static final String KEY_CARDINALITY = "key.cardinality";
  public static final String VALUE_SIZE = "value.size.bytes";
  public static final String VALUE_SHAPE = "value.shape";
  public static final String BATCH_SIZE = "batch.size";
  static final String TASK_ID = "task.id";
  static final String TASK_COUNT = "task.count";

  static final ConfigDef CONFIG = new ConfigDef()
      .define(TOPIC, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Topic to write to.")
      .define(RATE, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.HIGH,
          "Records per second over all tasks; 0: unthrottled.")
      .define(MAX_RECORDS, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
          "Records each task writes before it idles; 0: no end.")
      .define(KEY_CARDINALITY, Type.LONG, 100L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
          "Distinct keys; 0: records without keys.")
      .define(VALUE_SIZE, Type.INT, 100, ConfigDef.Range.between(1, 10 << 20), Importance.MEDIUM,
          "Bytes of each value's payload.")
      .define(VALUE_SHAPE, Type.STRING, "string", ConfigDef.ValidString.in("string", "struct"), Importance.MEDIUM,
          "string: a plain string; struct: {id, key, payload}.")
      .define(BATCH_SIZE, Type.INT, 1000, ConfigDef.Range.between(1, 100_000), Importance.LOW,
          "Records one poll returns at most.");

  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    CONFIG.parse(props);
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return LoadGeneratorTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> out = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      Map<String, String> t = new HashMap<>(props);
      t.put(TASK_ID, Integer.toString(i));
      t.put(TASK_COUNT, Integer.toString(maxTasks));
      out.add(t);
    }
    return out;
  }

  @Override
  public void stop() {
  }

  @Override
  public ConfigDef config() {
    return CONFIG;
  }

  @Override
  public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
    return ExactlyOnceSupport.SUPPORTED;
  }

  @Override
  public String version() {
    return AppInfoParser.getVersion();
  }
}
