package io.sluice.bench;

import io.sluice.client.ClientOptions;
import io.sluice.client.PartitionOffsets;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.StreamDefinition;
import io.sluice.client.StreamDescription;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A windowed count through a running broker, the benchmark: 1-minute tumbling windows over {@code --keys}
 * keys (default 10,000) of 100-byte JSON records whose record times span {@code --minutes} minutes. Throughput:
 * {@code --records} records are written to a fresh input topic first, then the stream is created and timed until
 * the output holds one update per record (task start included). Restore: the stream is then restarted, and its
 * tasks' status gives how many changelog bytes and records each restored and how long it took (MB/s of changelog).
 *
 * <pre>java -cp target/sluice.jar io.sluice.bench.WindowedCountBench --bootstrap http://127.0.0.1:8080
 *     --records 200000 --partitions 1 --keys 10000 --minutes 10</pre>
 */
public final class WindowedCountBench {
  private static final Duration WAIT = Duration.ofMinutes(5);
  private static final long T0 = 1_800_000_000_000L;

  private WindowedCountBench() {
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs args = new BenchArgs(argv);
    int partitions = args.integer("partitions", 1);
    long records = args.number("records", 200_000);
    long keys = args.number("keys", 10_000);
    long spanMs = args.number("minutes", 10) * 60_000;
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(args.string("bootstrap",
        "http://127.0.0.1:8080")).requestTimeoutMs(60_000));
    try {
      String name = "wbench-" + System.currentTimeMillis();
      client.admin().createTopic(name + "-in", partitions, 1, Map.of()).await().atMost(WAIT);
      client.admin().createTopic(name + "-out", partitions, 1, Map.of()).await().atMost(WAIT);
      Producer producer = client.producer(ProducerOptions.defaults().acks("1").lingerMs(5));
      produce(producer, name + "-in", records, keys, spanMs);
      long start = System.nanoTime();
      client.streams().create(StreamDefinition.builder(name).inputs(name + "-in").keyFormat("string")
          .groupByKey().window(StreamDefinition.Window.tumbling("60s")).count()
          .to(name + "-out").build()).await().atMost(WAIT);
      while (total(client, name + "-out", partitions) < records) {
        Thread.sleep(20); // polling the output's end offsets
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("windowed count: %d records, %d keys, %d partition(s), %.2f s, %.0f records/s%n", records,
          keys, partitions, seconds, records / seconds);
      restore(client, name, partitions);
      client.streams().delete(name, true).await().atMost(WAIT);
    } finally {
      client.close().await().atMost(WAIT);
    }
  }

  /** Restarts the stream and reports its tasks' restores once all are done. */
  private static void restore(SluiceClient client, String name, int partitions) throws Exception {
    Thread.sleep(2_000); // let the last checkpoint land, so the restore covers every record
    long restartedAt = System.currentTimeMillis();
    client.streams().restart(name).await().atMost(WAIT);
    while (true) {
      StreamDescription d = client.streams().describe(name).await().atMost(WAIT);
      List<StreamDescription.Task> tasks = d.tasks();
      boolean done = tasks.size() == partitions && tasks.stream().allMatch(t -> t.restore() != null
          && "DONE".equals(t.restore().getString("state")) && t.restore().getLong("ms", -1L) >= 0
          && "RUNNING".equals(t.state()) && t.restore().getLong("records", 0L) > 0);
      if (done && System.currentTimeMillis() - restartedAt > 200) {
        long bytes = 0;
        long restored = 0;
        long ms = 0;
        for (StreamDescription.Task t : tasks) {
          JsonObject r = t.restore();
          bytes += r.getLong("bytes");
          restored += r.getLong("records");
          ms = Math.max(ms, r.getLong("ms"));
        }
        System.out.printf("restore: %d changelog records, %.1f MB in %d ms (slowest task): %.1f MB/s, %.0f"
            + " records/s%n", restored, bytes / 1e6, ms, bytes / 1e6 / Math.max(0.001, ms / 1000.0),
            restored / Math.max(0.001, ms / 1000.0));
        return;
      }
      Thread.sleep(50); // polling the status
    }
  }

  private static long total(SluiceClient client, String topic, int partitions) {
    long sum = 0;
    for (int p = 0; p < partitions; p++) {
      PartitionOffsets o = client.admin().offsets(topic, p).await().atMost(WAIT);
      sum += o.endOffset();
    }
    return sum;
  }

  /** Record {@code i}: key {@code k<i % keys>}, time {@code T0 + i * span / count}, a 100-byte JSON value. */
  private static void produce(Producer producer, String topic, long count, long keys, long spanMs)
      throws InterruptedException {
    Semaphore pending = new Semaphore(10_000);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (long i = 0; i < count && failure.get() == null; i++) {
      pending.acquire();
      byte[] key = ("k" + i % keys).getBytes(StandardCharsets.UTF_8);
      byte[] value = StreamsBench.value(i).getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord(topic, null, T0 + i * spanMs / count, key, value, List.of())).subscribe()
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
