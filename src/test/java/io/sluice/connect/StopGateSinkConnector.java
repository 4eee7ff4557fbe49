package io.sluice.connect;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A test sink whose task's {@code stop()} waits for {@link #OPEN} (at most a minute): a test holds a stopping task
 * there, where a real one may still be writing its status, to do that write itself.
 */
public final class StopGateSinkConnector extends SinkConnector {
  static volatile CountDownLatch open = new CountDownLatch(0);
  static volatile CountDownLatch stopping = new CountDownLatch(0);
  private Map<String, String> props;

  /** Makes the next task stops wait until {@link #release()}; {@link #stopping} counts down when one waits. */
  static void close() {
    open = new CountDownLatch(1);
    stopping = new CountDownLatch(1);
  }

  static void release() {
    open.countDown();
  }

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return GateTask.class;
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
    return "test";
  }

  /** The task. */
  public static final class GateTask extends SinkTask {
    @Override
    public void start(Map<String, String> props) {
    }

    @Override
    public void put(Collection<SinkRecord> records) {
    }

    @Override
    public void stop() {
      stopping.countDown();
      try {
        open.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String version() {
      return "test";
    }
  }
}
