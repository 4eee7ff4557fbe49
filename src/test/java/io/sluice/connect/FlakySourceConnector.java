package io.sluice.connect;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * A test source whose task throws from {@code poll()} the first {@code failures} times it is started (counted per
 * {@code run.id}, so each test has its own count), then writes one record per poll to {@code topic}.
 */
public final class FlakySourceConnector extends SourceConnector {
  static final Map<String, AtomicInteger> STARTS = new ConcurrentHashMap<>();
  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return FlakyTask.class;
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
    return new ConfigDef().define("topic", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "topic")
        .define("failures", ConfigDef.Type.INT, 0, ConfigDef.Importance.HIGH, "times the task fails");
  }

  @Override
  public String version() {
    return "test";
  }

  /** The task. */
  public static final class FlakyTask extends SourceTask {
    private String topic;
    private boolean fail;
    private long n;

    @Override
    public void start(Map<String, String> props) {
      topic = props.get("topic");
      int starts = STARTS.computeIfAbsent(props.get("run.id"), k -> new AtomicInteger()).incrementAndGet();
      fail = starts <= Integer.parseInt(props.getOrDefault("failures", "0"));
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
      if (fail) {
        throw new IllegalStateException("flaky task failing on purpose");
      }
      Thread.sleep(20); // a slow source: one record per poll
      return List.of(new SourceRecord(Map.of("p", 0), Map.of("n", ++n), topic, null, Schema.STRING_SCHEMA,
          "r" + n));
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
