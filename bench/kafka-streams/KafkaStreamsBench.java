import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The same measurement as io.sluice.bench.StreamsBench, with Kafka Streams against Apache Kafka: a filter + map
 * topology over 100-byte JSON records. Throughput: records written first, then the application started and timed
 * until the output holds every record. Latency: records produced at a fixed rate, output arrival minus input
 * timestamp. Run with run.sh.
 */
public class KafkaStreamsBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] a) throws Exception {
    String bootstrap = a[0];
    int partitions = Integer.parseInt(a[1]);
    long records = Long.parseLong(a[2]);
    String guarantee = a[3];
    long latencyRecords = Long.parseLong(a[4]);
    int rate = Integer.parseInt(a[5]);
    String name = "ksbench-" + System.currentTimeMillis();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(name + "-in", partitions, (short) 1),
          new NewTopic(name + "-out", partitions, (short) 1))).all().get();
    }
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("acks", "1");
    pp.put("linger.ms", "5");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(),
        new StringSerializer())) {
      for (long i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(name + "-in", "k" + i, value(i)));
      }
      producer.flush();
      long start = System.nanoTime();
      KafkaStreams streams = start(bootstrap, name, guarantee);
      try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
        while (total(c, name + "-out", partitions) < records) {
          Thread.sleep(20);
        }
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("kafka streams %s throughput: %d records, %d partition(s), %.2f s, %.0f records/s%n",
            guarantee, records, partitions, s, records / s);
        latency(producer, c, name, partitions, records, latencyRecords, rate, guarantee);
      } finally {
        streams.close(Duration.ofSeconds(30));
      }
    }
  }

  static String value(long id) {
    String base = "{\"id\":" + id + ",\"region\":\"eu\",\"qty\":12,\"price\":2.5,\"pad\":\"";
    return base + "x".repeat(Math.max(0, 98 - base.length())) + "\"}";
  }

  static KafkaStreams start(String bootstrap, String name, String guarantee) {
    StreamsBuilder b = new StreamsBuilder();
    b.stream(name + "-in", Consumed.with(Serdes.String(), Serdes.String()))
        .mapValues(KafkaStreamsBench::parse)
        .filter((k, v) -> v != null && "eu".equals(v.path("region").asText()) && v.path("qty").asDouble() >= 10)
        .mapValues(v -> {
          ObjectNode o = JSON.createObjectNode();
          o.set("id", v.get("id"));
          o.put("total", v.path("qty").asDouble() * v.path("price").asDouble());
          return o.toString();
        })
        .to(name + "-out", Produced.with(Serdes.String(), Serdes.String()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, name);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    p.put(StreamsConfig.STATE_DIR_CONFIG, "/tmp/ksbench-state");
    p.put("consumer.auto.offset.reset", "earliest");
    KafkaStreams s = new KafkaStreams(b.build(), p);
    s.start();
    return s;
  }

  static JsonNode parse(String v) {
    try {
      return JSON.readTree(v);
    } catch (Exception e) {
      return null;
    }
  }

  static KafkaConsumer<String, String> consumer(String bootstrap) {
    Properties cp = new Properties();
    cp.put("bootstrap.servers", bootstrap);
    cp.put("enable.auto.commit", "false");
    return new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer());
  }

  static long total(KafkaConsumer<String, String> c, String topic, int partitions) {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(topic, p));
    }
    return c.endOffsets(tps).values().stream().mapToLong(Long::longValue).sum();
  }

  static void latency(KafkaProducer<String, String> producer, KafkaConsumer<String, String> c, String name,
      int partitions, long before, long count, int rate, String guarantee) throws Exception {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(name + "-out", p));
    }
    c.assign(tps);
    c.seekToEnd(tps);
    tps.forEach(c::position);
    Thread feeder = new Thread(() -> {
      long perTick = Math.max(1, rate / 100);
      for (long i = 0; i < count; i++) {
        producer.send(new ProducerRecord<>(name + "-in", "k" + (before + i), value(before + i)));
        if ((i + 1) % perTick == 0) {
          producer.flush();
          try {
            Thread.sleep(10);
          } catch (InterruptedException e) {
            return;
          }
        }
      }
      producer.flush();
    });
    feeder.start();
    long[] samples = new long[(int) count];
    int n = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (n < count && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
        if (n < count) {
          samples[n++] = System.currentTimeMillis() - r.timestamp();
        }
      }
    }
    feeder.join();
    long[] s = Arrays.copyOf(samples, n);
    Arrays.sort(s);
    System.out.printf("kafka streams %s latency at %d records/s: %d samples, p50 %d ms, p99 %d ms, max %d ms%n",
        guarantee, rate, n, s[(int) Math.ceil(0.5 * n) - 1], s[(int) Math.ceil(0.99 * n) - 1], s[n - 1]);
  }
}
