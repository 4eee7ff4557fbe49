// Kafka's side of bench/e2e-tail.sh (SYSTEM=kafka): the loop of the anchor's E2eLatencyUs.java (what the default
// e2e row of compare-kafka.sh runs against Kafka: linger.ms=0, send().get(), then poll with fetch.max.wait.ms=0 until
// the record arrives; one record in flight), which also writes each measured record's send time (epoch us, from
// System.nanoTime() through one reading of both clocks) and latency (us) to SAMPLES, a line each, as
// `sluice perf e2e --samples` does, so that bench/e2e-tail.py attributes Kafka's slow records as it does Sluice's.
//   java -cp 'KAFKA_LIB/*' bench/E2eLatencySamples.java BOOTSTRAP TOPIC NUM_MESSAGES ACKS SIZE WARMUP SAMPLES
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;

public class E2eLatencySamples {
  public static void main(String[] a) throws Exception {
    String boot = a[0], topic = a[1], acks = a[3];
    int n = Integer.parseInt(a[2]), size = Integer.parseInt(a[4]), warm = Integer.parseInt(a[5]);
    Properties ap = new Properties();
    ap.put("bootstrap.servers", boot);
    try (Admin admin = Admin.create(ap)) {
      if (!admin.listTopics().names().get().contains(topic))
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    Properties cp = new Properties();
    cp.put("bootstrap.servers", boot);
    cp.put("group.id", "e2e-us-" + System.currentTimeMillis());
    cp.put("enable.auto.commit", "false");
    cp.put("auto.offset.reset", "latest");
    cp.put("fetch.max.wait.ms", "0");
    cp.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    cp.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    Properties pp = new Properties();
    pp.put("bootstrap.servers", boot);
    pp.put("linger.ms", "0");
    pp.put("max.block.ms", String.valueOf(Long.MAX_VALUE));
    pp.put("acks", acks);
    pp.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    pp.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    Random rnd = new Random(0);
    long[] lat = new long[n], sent = new long[n];
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp);
         KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp)) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(pi.topic(), pi.partition())));
      c.assign(tps);
      c.seekToEnd(tps);
      tps.forEach(c::position);
      for (int i = -warm; i < n; i++) {
        byte[] msg = new byte[size];
        rnd.nextBytes(msg);
        long t0 = System.nanoTime();
        p.send(new ProducerRecord<>(topic, msg)).get();
        Iterator<ConsumerRecord<byte[], byte[]>> it = c.poll(Duration.ofMillis(60000)).iterator();
        long el = System.nanoTime() - t0;
        if (!it.hasNext()) throw new IllegalStateException("poll() timed out");
        if (!Arrays.equals(msg, it.next().value())) throw new IllegalStateException("wrong message");
        if (it.hasNext()) throw new IllegalStateException("more than one message");
        if (i >= 0) { lat[i] = el; sent[i] = t0; }
      }
    }
    Instant now = Instant.now();
    long nanoNow = System.nanoTime(), epochMicrosNow = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    try (PrintWriter w = new PrintWriter(a[6])) {
      for (int i = 0; i < n; i++) w.println((epochMicrosNow - (nanoNow - sent[i]) / 1_000) + " " + lat[i] / 1_000);
    }
    long[] sorted = lat.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "%d records, avg %.1f us; 50th %.1f, 99th %.1f, 99.9th %.1f us%n", n,
        Arrays.stream(lat).average().orElse(0) / 1000.0, sorted[n / 2] / 1000.0, sorted[(int) (n * 0.99)] / 1000.0,
        sorted[(int) (n * 0.999)] / 1000.0);
  }
}
