package io.sluice.connect;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A test sink whose task throws from {@code put()} the first {@code failures} times it is started (counted per
 * {@code run.id}), and otherwise counts the records it is given after its first start.
 */
public final class FlakySinkConnector extends SinkConnector {
  static final Map<String, AtomicInteger> STARTS = new ConcurrentHashMap<>();
  /** Records put into a start that did not fail, per run id. */
  static final Map<String, AtomicInteger> PUT_AFTER_FAILURES = new ConcurrentHashMap<>();
  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return FlakySinkTask.class;
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
    return new ConfigDef().define("failures", ConfigDef.Type.INT, 0, ConfigDef.Importance.HIGH, "times it fails");
  }

  @Override
  public String version() {
    return "test";
  }

  /** The task. */
  public static final class FlakySinkTask extends SinkTask {
    private String runId;
    private boolean fail;

    @Override
    public void start(Map<String, String> props) {
      runId = props.get("run.id");
      int starts = STARTS.computeIfAbsent(runId, k -> new AtomicInteger()).incrementAndGet();
      fail = starts <= Integer.parseInt(props.getOrDefault("failures", "0"));
    }

    @Override
    public void put(Collection<SinkRecord> records) {
      if (fail && !records.isEmpty()) {
        throw new IllegalStateException("flaky sink failing on purpose");
      }
      PUT_AFTER_FAILURES.computeIfAbsent(runId, k -> new AtomicInteger()).addAndGet(records.size());
    }

    @Override
    public void stop() {
    }

    @Override
    public String version() {
      return "test";
    }
  }
}
