package io.sluice.connect.builtin;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/** One share of a {@link LoadGeneratorConnector}: its own sequence, offset {@code {"seq": n}} (the next to write). */
public final class LoadGeneratorTask extends SourceTask {
  static final Schema STRUCT = SchemaBuilder.struct().name("sluice.LoadGenerator").field("id", Schema.INT64_SCHEMA)
      .field("key", Schema.OPTIONAL_STRING_SCHEMA).field("payload", Schema.STRING_SCHEMA).build();

  /** Bytes of values one poll makes at most (at least one record). */
  static final int POLL_BYTES = 4 << 20;
  private String topic;
  private long ratePerTask;
  private long maxRecords;
  private long keyCardinality;
  private String payload;
  private boolean struct;
  private int batchSize;
  private Map<String, Object> sourcePartition;
  private long next;
  private long startedNanos;
  private long startSeq;
  private volatile boolean stopped;

  @Override
  public void start(Map<String, String> props) {
    AbstractConfig c = new AbstractConfig(LoadGeneratorConnector.CONFIG, props);
    topic = c.getString(LoadGeneratorConnector.TOPIC);
    int tasks = Integer.parseInt(props.getOrDefault(LoadGeneratorConnector.TASK_COUNT, "1"));
    long rate = c.getLong(LoadGeneratorConnector.RATE);
    ratePerTask = rate == 0 ? 0 : Math.max(1, rate / tasks);
    maxRecords = c.getLong(LoadGeneratorConnector.MAX_RECORDS);
    keyCardinality = c.getLong(LoadGeneratorConnector.KEY_CARDINALITY);
    char[] fill = new char[c.getInt(LoadGeneratorConnector.VALUE_SIZE)];
    Arrays.fill(fill, 'x');
    payload = new String(fill);
    struct = "struct".equals(c.getString(LoadGeneratorConnector.VALUE_SHAPE));
    batchSize = c.getInt(LoadGeneratorConnector.BATCH_SIZE);
    sourcePartition = Map.of("generator", props.getOrDefault(LoadGeneratorConnector.TASK_ID, "0"));
    Map<String, Object> offset = context.offsetStorageReader().offset(sourcePartition);
    next = offset == null ? 0 : ((Number) offset.get("seq")).longValue();
    startSeq = next;
    startedNanos = System.nanoTime();
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    long allowed = maxRecords == 0 ? Long.MAX_VALUE : maxRecords - next;
    if (ratePerTask > 0) {
      // in double: elapsed milliseconds times a high rate overflowed a long, and the generator stopped for good
      double elapsedS = (System.nanoTime() - startedNanos) / 1e9;
      long due = startSeq + (long) Math.min(Long.MAX_VALUE / 2.0, elapsedS * ratePerTask) + 1;
      allowed = Math.min(allowed, due - next);
    }
    // a poll's values are made at once: at most POLL_BYTES of them (100,000 values of 10 MiB were a terabyte)
    int n = (int) Math.min(Math.min(batchSize, Math.max(1, POLL_BYTES / payload.length())), Math.max(0, allowed));
    if (n == 0 || stopped) {
      Thread.sleep(maxRecords != 0 && next >= maxRecords ? 100 : 5); // a throttled or finished generator idles
      return null;
    }
    List<SourceRecord> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long seq = next++;
      String key = keyCardinality == 0 ? null : "key-" + (seq % keyCardinality);
      Object value = struct ? new Struct(STRUCT).put("id", seq).put("key", key).put("payload", payload)
          : seq + ":" + payload;
      out.add(new SourceRecord(sourcePartition, Map.of("seq", next), topic, null,
          key == null ? null : Schema.STRING_SCHEMA, key, struct ? STRUCT : Schema.STRING_SCHEMA, value));
    }
    return out;
  }

  @Override
  public void stop() {
    stopped = true;
  }

  @Override
  public String version() {
    return AppInfoParser.getVersion();
  }
}
