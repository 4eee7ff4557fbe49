import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The same measurement as io.sluice.bench.StreamTableJoinBench, with Kafka Streams against Apache Kafka:
 * KStream.join(KTable) over 100-byte JSON records, the value joiner {id, qty, name} (both sides parsed as JSON, as
 * Sluice's json value format does). The table's rows (record times before the stream's) and the stream records are
 * written first, then the application is started and timed until the output holds one joined record per stream
 * record. Restore as KafkaStreamsWindowBench's (the table's store, from its changelog).
 *
 * <pre>./run-join.sh 127.0.0.1:19092 1 200000 10000 exactly_once_v2</pre>
 */
public class KafkaStreamsJoinBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long T0 = System.currentTimeMillis() - 3_600_000;

  public static void main(String[] a) throws Exception {
    String bootstrap = a[0];
    int partitions = Integer.parseInt(a[1]);
    long records = Long.parseLong(a[2]);
    long keys = Long.parseLong(a[3]);
    String guarantee = a[4];
    String name = "kjbench-" + System.currentTimeMillis();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(name + "-table", partitions, (short) 1),
          new NewTopic(name + "-in", partitions, (short) 1),
          new NewTopic(name + "-out", partitions, (short) 1))).all().get();
      Properties pp = new Properties();
      pp.put("bootstrap.servers", bootstrap);
      pp.put("acks", "1");
      pp.put("linger.ms", "5");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(),
          new StringSerializer())) {
        for (long i = 0; i < keys; i++) {
          producer.send(new ProducerRecord<>(name + "-table", null, T0, "k" + i, row(i)));
        }
        for (long i = 0; i < records; i++) {
          producer.send(new ProducerRecord<>(name + "-in", null, T0 + 1 + i * 3_000_000 / records, "k" + i % keys,
              KafkaStreamsBench.value(i)));
        }
        producer.flush();
      }
      long start = System.nanoTime();
      KafkaStreams streams = start(bootstrap, name, guarantee, null);
      long out;
      try (KafkaConsumer<String, String> c = KafkaStreamsBench.consumer(bootstrap)) {
        out = KafkaStreamsWindowBench.awaitOutput(c, name + "-out", partitions, records);
      }
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf("kafka streams stream-table join (%s): %d records (%d joined), %d keys, %d partition(s),"
          + " %.2f s, %.0f records/s%n", guarantee, records, out, keys, partitions, s, out / s);
      Thread.sleep(2_000); // a commit, so the restart restores every record rather than reprocessing
      streams.close(Duration.ofSeconds(60));
      streams.cleanUp(); // the local state goes: the next start restores it from the changelog
      KafkaStreamsWindowBench.restore(admin, name + "-table-changelog", partitions,
          l -> start(bootstrap, name, guarantee, l));
    }
  }

  static String row(long id) {
    String base = "{\"id\":" + id + ",\"name\":\"customer-" + id + "\",\"tier\":\"gold\",\"pad\":\"";
    return base + "x".repeat(Math.max(0, 98 - base.length())) + "\"}";
  }

  static KafkaStreams start(String bootstrap, String name, String guarantee,
      org.apache.kafka.streams.processor.StateRestoreListener listener) {
    StreamsBuilder b = new StreamsBuilder();
    KTable<String, String> table = b.table(name + "-table", Consumed.with(Serdes.String(), Serdes.String()),
        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("table"));
    b.stream(name + "-in", Consumed.with(Serdes.String(), Serdes.String()))
        .join(table, KafkaStreamsJoinBench::joined)
        .to(name + "-out", Produced.with(Serdes.String(), Serdes.String()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, name);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    p.put(StreamsConfig.STATE_DIR_CONFIG, "/tmp/kjbench-state");
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put("consumer.auto.offset.reset", "earliest");
    KafkaStreams s = new KafkaStreams(b.build(), p);
    if (listener != null) {
      s.setGlobalStateRestoreListener(listener);
    }
    s.start();
    return s;
  }

  private static String joined(String left, String right) {
    try {
      JsonNode l = JSON.readTree(left);
      JsonNode r = JSON.readTree(right);
      ObjectNode o = JSON.createObjectNode();
      o.set("id", l.get("id"));
      o.set("qty", l.get("qty"));
      o.set("name", r.get("name"));
      return JSON.writeValueAsString(o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
