package io.sluice.connect;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.Monitorable;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.apache.kafka.connect.storage.StringConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * A test source whose connector, task, transformation, predicate and converter each register a plugin metric
 * (KIP-877): the connector and task through their contexts' {@code pluginMetrics()}, the others as {@code
 * Monitorable}. Each task writes one record to {@code topic} per poll, at most 50 a second, {@code
 * records.max} in all (then polls return nothing).
 */
public final class MeteredSourceConnector extends SourceConnector {
  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
    Sensor starts = context().pluginMetrics().addSensor("starts");
    starts.add(context().pluginMetrics().metricName("starts-total", "Connector starts.", new LinkedHashMap<>()),
        new CumulativeCount());
    starts.record();
  }

  @Override
  public Class<? extends Task> taskClass() {
    return MeteredTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    return java.util.Collections.nCopies(maxTasks, props);
  }

  @Override
  public void stop() {
  }

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  @Override
  public String version() {
    return "1";
  }

  /** Counts its polls in a sensor of its context's plugin metrics. */
  public static final class MeteredTask extends SourceTask {
    private String topic;
    private Sensor polls;
    private long left;

    @Override
    public void start(Map<String, String> props) {
      topic = props.get("topic");
      left = Long.parseLong(props.getOrDefault("records.max", Long.toString(Long.MAX_VALUE)));
      polls = context.pluginMetrics().addSensor("polls");
      polls.add(context.pluginMetrics().metricName("polls-total", "Polls.", new LinkedHashMap<>()),
          new CumulativeCount());
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
      Thread.sleep(20); // the task's own pace, as a real source waits for data
      if (left == 0) {
        return null;
      }
      left--;
      polls.record();
      return List.of(new SourceRecord(Map.of(), Map.of(), topic, Schema.STRING_SCHEMA, "v"));
    }

    @Override
    public void stop() {
    }

    @Override
    public String version() {
      return "1";
    }
  }

  /** Counts the records it passes on in a gauge. */
  public static final class MeteredTransformation<R extends ConnectRecord<R>> implements Transformation<R>,
      Monitorable {
    private final AtomicLong applied = new AtomicLong();

    @Override
    public void withPluginMetrics(PluginMetrics metrics) {
      metrics.addMetric(metrics.metricName("applied", "Records transformed.", new LinkedHashMap<>()),
          (Measurable) (config, now) -> applied.get());
    }

    @Override
    public R apply(R record) {
      applied.incrementAndGet();
      return record;
    }

    @Override
    public ConfigDef config() {
      return new ConfigDef();
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }

    @Override
    public void close() {
    }
  }

  /** Matches every record, counting its tests in a gauge. */
  public static final class MeteredPredicate<R extends ConnectRecord<R>> implements Predicate<R>, Monitorable {
    private final AtomicLong tested = new AtomicLong();

    @Override
    public void withPluginMetrics(PluginMetrics metrics) {
      metrics.addMetric(metrics.metricName("tested", "Records tested.", new LinkedHashMap<>()),
          (Measurable) (config, now) -> tested.get());
    }

    @Override
    public boolean test(R record) {
      tested.incrementAndGet();
      return true;
    }

    @Override
    public ConfigDef config() {
      return new ConfigDef();
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }

    @Override
    public void close() {
    }
  }

  /** Kafka's StringConverter, counting what it converts in a gauge. */
  public static final class MeteredConverter extends StringConverter implements Monitorable {
    private final AtomicLong converted = new AtomicLong();

    @Override
    public void withPluginMetrics(PluginMetrics metrics) {
      metrics.addMetric(metrics.metricName("converted", "Values converted.", new LinkedHashMap<>()),
          (Measurable) (config, now) -> converted.get());
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
      converted.incrementAndGet();
      return super.fromConnectData(topic, schema, value);
    }
  }
}
