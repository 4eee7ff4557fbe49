package io.sluice.bench;

import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.StreamDefinition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;

/**
 * A stream-table join through a running broker, the benchmark beside Kafka Streams' KStream.join(KTable)
 * (bench/kafka-streams/KafkaStreamsJoinBench): a table topic of {@code --keys} rows (100-byte JSON, record times
 * before every stream record's) and {@code --records} 100-byte JSON stream records over those keys are written first;
 * then the stream (an inner join, value {id, qty, name}) is created and timed until the output holds one joined
 * record per stream record (task start and the table's load included). Restore as WindowedCountBench's.
 *
 * <pre>java -cp target/sluice.jar io.sluice.bench.StreamTableJoinBench --bootstrap http://127.0.0.1:8080
 *     --records 200000 --partitions 1 --keys 10000 [--guarantee at_least_once]</pre>
 */
public final class StreamTableJoinBench {
  private static final Duration WAIT = Duration.ofMinutes(5);
  private static final long T0 = 1_800_000_000_000L;
  private static final long STALL_MS = 60_000;

  private StreamTableJoinBench() {
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs args = new BenchArgs(argv);
    int partitions = args.integer("partitions", 1);
    long records = args.number("records", 200_000);
    long keys = args.number("keys", 10_000);
    String guarantee = args.string("guarantee", "exactly_once");
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(args.string("bootstrap",
        "http://127.0.0.1:8080")).requestTimeoutMs(60_000));
    try {
      String name = "jbench-" + System.currentTimeMillis();
      for (String t : List.of("-table", "-in", "-out")) {
        client.admin().createTopic(name + t, partitions, 1, Map.of()).await().atMost(WAIT);
      }
      Producer producer = client.producer(ProducerOptions.defaults().acks("1").lingerMs(5));
      produce(producer, name + "-table", keys, keys, i -> T0, StreamTableJoinBench::row);
      produce(producer, name + "-in", records, keys, i -> T0 + 1 + i, StreamsBench::value);
      StreamDefinition.Builder def = StreamDefinition.builder(name).inputs(name + "-in").keyFormat("string")
          .join(StreamDefinition.Join.table(name + "-table").inner().store("table")
              .value("{'id': left.id, 'qty': left.qty, 'name': right.name}"))
          .to(name + "-out");
      if ("at_least_once".equals(guarantee)) {
        def.atLeastOnce();
      }
      long start = System.nanoTime();
      client.streams().create(def.build()).await().atMost(WAIT);
      long out = awaitOutput(client, name + "-out", partitions, records);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("stream-table join (%s): %d records (%d joined), %d keys, %d partition(s), %.2f s, %.0f"
          + " records/s%n", guarantee, records, out, keys, partitions, seconds, out / seconds);
      WindowedCountBench.restore(client, name, partitions);
      client.streams().delete(name, true).await().atMost(WAIT);
    } finally {
      client.close().await().atMost(WAIT);
    }
  }

  /** Polls the output's end offsets until it holds {@code records}, or it stopped growing for a minute. */
  private static long awaitOutput(SluiceClient client, String topic, int partitions, long records)
      throws InterruptedException {
    long last = -1;
    long grewAt = System.currentTimeMillis();
    while (true) {
      long n = WindowedCountBench.total(client, topic, partitions);
      if (n >= records || System.currentTimeMillis() - grewAt > STALL_MS) {
        return n;
      }
      if (n != last) {
        last = n;
        grewAt = System.currentTimeMillis();
      }
      Thread.sleep(20); // polling the output's end offsets
    }
  }

  /** Table row {@code i}: a 100-byte JSON customer. */
  static String row(long id) {
    String base = "{\"id\":" + id + ",\"name\":\"customer-" + id + "\",\"tier\":\"gold\",\"pad\":\"";
    return base + "x".repeat(Math.max(0, 98 - base.length())) + "\"}";
  }

  private static void produce(Producer producer, String topic, long count, long keys, LongFunction<Long> time,
      LongFunction<String> value) throws InterruptedException {
    Semaphore pending = new Semaphore(10_000);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (long i = 0; i < count && failure.get() == null; i++) {
      pending.acquire();
      byte[] key = ("k" + i % keys).getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord(topic, null, time.apply(i), key,
          value.apply(i).getBytes(StandardCharsets.UTF_8), List.of())).subscribe()
          .with(md -> pending.release(), t -> {
            failure.compareAndSet(null, t);
            pending.release();
          });
    }
    pending.acquire(10_000);
    if (failure.get() != null) {
      throw new IllegalStateException("a send failed: " + failure.get(), failure.get());
    }
  }
}
