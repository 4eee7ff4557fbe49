package io.sluice.connect;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.Monitorable;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * Test plugins for a task's closing on every path: a transformation counting its configures and closes (by its
 * {@code counter} key) with a plugin metric, one whose configure fails, and a source and a sink connector whose task
 * class cannot be built (its constructor throws, after the task's converters and transformations are).
 */
public final class ClosingPlugins {
  private ClosingPlugins() {
  }

  /** Configures and closes per counter name. */
  static final Map<String, AtomicInteger> CONFIGURED = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> CLOSED = new ConcurrentHashMap<>();

  static int configured(String counter) {
    return CONFIGURED.getOrDefault(counter, new AtomicInteger()).get();
  }

  static int closed(String counter) {
    return CLOSED.getOrDefault(counter, new AtomicInteger()).get();
  }

  /** Passes records on; counts its configures and closes, and shows a metric {@code closing-alive}. */
  public static class CountingTransformation<R extends ConnectRecord<R>> implements Transformation<R>, Monitorable {
    private String counter;

    @Override
    public void configure(Map<String, ?> configs) {
      counter = String.valueOf(configs.get("counter"));
      CONFIGURED.computeIfAbsent(counter, c -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void withPluginMetrics(PluginMetrics metrics) {
      metrics.addMetric(metrics.metricName("closing-alive", "1 while open.", new LinkedHashMap<>()),
          (Measurable) (config, now) -> 1);
    }

    @Override
    public R apply(R record) {
      return record;
    }

    @Override
    public ConfigDef config() {
      return new ConfigDef();
    }

    @Override
    public void close() {
      CLOSED.computeIfAbsent(counter, c -> new AtomicInteger()).incrementAndGet();
    }
  }

  /** A transformation that cannot be configured. */
  public static final class FailingTransformation<R extends ConnectRecord<R>> extends CountingTransformation<R> {
    @Override
    public void configure(Map<String, ?> configs) {
      throw new org.apache.kafka.common.config.ConfigException("this transformation never configures");
    }
  }

  /** A source whose task class cannot be instantiated. */
  public static final class BrokenTaskSource extends SourceConnector {
    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
      this.props = props;
    }

    @Override
    public Class<? extends Task> taskClass() {
      return UnbuildableSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
      return List.of(props);
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
  }

  /** A sink whose task class cannot be instantiated. */
  public static final class BrokenTaskSink extends SinkConnector {
    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
      this.props = props;
    }

    @Override
    public Class<? extends Task> taskClass() {
      return UnbuildableSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
      return List.of(props);
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
  }

  public static final class UnbuildableSourceTask extends SourceTask {
    public UnbuildableSourceTask() {
      throw new IllegalStateException("this task class cannot be built");
    }

    @Override
    public void start(Map<String, String> props) {
    }

    @Override
    public List<SourceRecord> poll() {
      return null;
    }

    @Override
    public void stop() {
    }

    @Override
    public String version() {
      return "1";
    }
  }

  public static final class UnbuildableSinkTask extends SinkTask {
    public UnbuildableSinkTask() {
      throw new IllegalStateException("this task class cannot be built");
    }

    @Override
    public void start(Map<String, String> props) {
    }

    @Override
    public void put(java.util.Collection<SinkRecord> records) {
    }

    @Override
    public void stop() {
    }

    @Override
    public String version() {
      return "1";
    }
  }
}
