import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The same measurement as io.sluice.bench.WindowedCountBench, with Kafka Streams against Apache Kafka: a count per
 * key in 1-minute tumbling windows over 100-byte JSON records. Throughput: records (key k<i % keys>, record times
 * spanning the given minutes) written first, then the application started and timed until the output holds one
 * update per record (the record cache off, so every update goes out, as Sluice's emit: update). Restore: the
 * application is closed, its local state deleted, and started again; the time until it is RUNNING again, the
 * records its restore listener saw, and the changelog's size on the broker give MB/s.
 *
 * <pre>./run-window.sh 127.0.0.1:19092 1 200000 10000 10 at_least_once</pre>
 */
public class KafkaStreamsWindowBench {
  /** Record times end now: Kafka 4 refuses timestamps over an hour ahead (log.message.timestamp.after.max.ms). */
  private static final long T0 = System.currentTimeMillis() / 60_000 * 60_000 - 3_600_000;

  public static void main(String[] a) throws Exception {
    String bootstrap = a[0];
    int partitions = Integer.parseInt(a[1]);
    long records = Long.parseLong(a[2]);
    long keys = Long.parseLong(a[3]);
    long spanMs = Long.parseLong(a[4]) * 60_000;
    String guarantee = a[5];
    String name = "kwbench-" + System.currentTimeMillis();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(name + "-in", partitions, (short) 1),
          new NewTopic(name + "-out", partitions, (short) 1))).all().get();
      Properties pp = new Properties();
      pp.put("bootstrap.servers", bootstrap);
      pp.put("acks", "1");
      pp.put("linger.ms", "5");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(),
          new StringSerializer())) {
        for (long i = 0; i < records; i++) {
          producer.send(new ProducerRecord<>(name + "-in", null, T0 + i * spanMs / records, "k" + i % keys,
              KafkaStreamsBench.value(i)));
        }
        producer.flush();
      }
      long start = System.nanoTime();
      KafkaStreams streams = start(bootstrap, name, guarantee, null);
      try (KafkaConsumer<String, String> c = KafkaStreamsBench.consumer(bootstrap)) {
        while (KafkaStreamsBench.total(c, name + "-out", partitions) < records) {
          Thread.sleep(20);
        }
      }
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf("kafka streams %s windowed count: %d records, %d keys, %d partition(s), %.2f s, %.0f"
          + " records/s%n", guarantee, records, keys, partitions, s, records / s);
      Thread.sleep(2_000); // a commit, so the restart restores every record rather than reprocessing
      streams.close(Duration.ofSeconds(60));
      streams.cleanUp(); // the local state goes: the next start restores it from the changelog
      restore(admin, bootstrap, name, guarantee, partitions);
    }
  }

  private static void restore(Admin admin, String bootstrap, String name, String guarantee, int partitions)
      throws Exception {
    AtomicLong restored = new AtomicLong();
    StateRestoreListener listener = new StateRestoreListener() {
      @Override
      public void onRestoreStart(TopicPartition tp, String store, long from, long to) {
      }

      @Override
      public void onBatchRestored(TopicPartition tp, String store, long end, long n) {
        restored.addAndGet(n);
      }

      @Override
      public void onRestoreEnd(TopicPartition tp, String store, long total) {
      }
    };
    long start = System.nanoTime();
    KafkaStreams streams = start(bootstrap, name, guarantee, listener);
    while (streams.state() != KafkaStreams.State.RUNNING || restored.get() == 0) {
      Thread.sleep(10);
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    streams.close(Duration.ofSeconds(60));
    long bytes = changelogBytes(admin, name + "-counts-changelog", partitions);
    System.out.printf("kafka streams restore: %d changelog records, %.1f MB in %d ms (start to RUNNING): %.1f MB/s,"
        + " %.0f records/s%n", restored.get(), bytes / 1e6, ms, bytes / 1e6 / (ms / 1000.0),
        restored.get() / (ms / 1000.0));
  }

  private static long changelogBytes(Admin admin, String topic, int partitions) throws Exception {
    long bytes = 0;
    List<Integer> brokers = new ArrayList<>();
    admin.describeCluster().nodes().get().forEach(n -> brokers.add(n.id()));
    for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
      for (LogDirDescription d : dirs.values()) {
        for (Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
          if (e.getKey().topic().equals(topic) && e.getKey().partition() < partitions) {
            bytes += e.getValue().size();
          }
        }
      }
    }
    return bytes;
  }

  static KafkaStreams start(String bootstrap, String name, String guarantee, StateRestoreListener listener) {
    StreamsBuilder b = new StreamsBuilder();
    b.stream(name + "-in", Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMinutes(1)))
        .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("counts"))
        .toStream()
        .map((wk, n) -> KeyValue.pair(wk.key(), Long.toString(n)))
        .to(name + "-out", Produced.with(Serdes.String(), Serdes.String()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, name);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    p.put(StreamsConfig.STATE_DIR_CONFIG, "/tmp/kwbench-state");
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put("consumer.auto.offset.reset", "earliest");
    KafkaStreams s = new KafkaStreams(b.build(), p);
    if (listener != null) {
      s.setGlobalStateRestoreListener(listener);
    }
    s.start();
    return s;
  }
}
