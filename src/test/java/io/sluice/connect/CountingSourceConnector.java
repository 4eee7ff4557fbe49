package io.sluice.connect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * A test source writing records 1..{@code max.records} to {@code topic}, {@code batch} a poll, that watches how the
 * worker drives it (per {@code run.id}): how many of its records were sent and not yet acknowledged whenever it is
 * polled, and the order in which the worker reports records acknowledged ({@code commitRecord}).
 */
public final class CountingSourceConnector extends SourceConnector {
  /** What one run's task saw. */
  static final class Seen {
    volatile long polled;
    volatile long acknowledged;
    volatile long mostOutstandingAtPoll;
    volatile boolean outOfOrder;
  }

  static final Map<String, Seen> RUNS = new ConcurrentHashMap<>();
  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return CountingTask.class;
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
        .define("max.records", ConfigDef.Type.LONG, 1_000L, ConfigDef.Importance.HIGH, "records in all")
        .define("batch", ConfigDef.Type.INT, 100, ConfigDef.Importance.HIGH, "records a poll");
  }

  @Override
  public String version() {
    return "test";
  }

  /** The task. */
  public static final class CountingTask extends SourceTask {
    private String topic;
    private long max;
    private int batch;
    private String pad;
    private String headerPad;
    private Seen seen;

    @Override
    public void start(Map<String, String> props) {
      topic = props.get("topic");
      max = Long.parseLong(props.getOrDefault("max.records", "1000"));
      batch = Integer.parseInt(props.getOrDefault("batch", "100"));
      pad = "x".repeat(Integer.parseInt(props.getOrDefault("pad", "0")));
      headerPad = "h".repeat(Integer.parseInt(props.getOrDefault("header.pad", "0")));
      seen = RUNS.computeIfAbsent(props.get("run.id"), k -> new Seen());
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
      seen.mostOutstandingAtPoll = Math.max(seen.mostOutstandingAtPoll, seen.polled - seen.acknowledged);
      if (seen.polled >= max) {
        Thread.sleep(50); // nothing more to give: an idle source's poll waits a little, as Kafka's do
        return null;
      }
      List<SourceRecord> out = new ArrayList<>();
      for (int i = 0; i < batch && seen.polled < max; i++) {
        long n = ++seen.polled;
        SourceRecord r = new SourceRecord(Map.of("p", 0), Map.of("n", n), topic, null, Schema.STRING_SCHEMA,
            "r" + n + pad);
        if (!headerPad.isEmpty()) {
          r.headers().addString("pad", headerPad);
        }
        out.add(r);
      }
      return out;
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
      long n = (Long) record.sourceOffset().get("n");
      if (n != seen.acknowledged + 1) {
        seen.outOfOrder = true;
      }
      seen.acknowledged = n;
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
