package io.sluice.bench;

import io.sluice.client.ClientOptions;
import io.sluice.client.PartitionOffsets;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import io.sluice.client.StreamDefinition;
import io.smallrye.mutiny.subscription.Cancellable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A filter + map stream over 100-byte JSON records through a running broker. Throughput: {@code --records} records
 * are written to a fresh input topic first, then the stream is created and timed until the output holds every
 * record (task start included). Latency: with the stream running, {@code --latency-records} records are produced at
 * {@code --rate} per second and each output's arrival is compared with its input's timestamp (milliseconds).
 *
 * <pre>java -cp target/sluice.jar io.sluice.bench.StreamsBench --bootstrap http://127.0.0.1:8080 --records 200000
 *     --partitions 1 --latency-records 5000 --rate 1000</pre>
 */
public final class StreamsBench {
  private static final Duration WAIT = Duration.ofMinutes(5);

  private StreamsBench() {
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs args = new BenchArgs(argv);
    int partitions = args.integer("partitions", 1);
    long records = args.number("records", 200_000);
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(args.string("bootstrap",
        "http://127.0.0.1:8080")).requestTimeoutMs(60_000));
    try {
      String name = "sbench-" + System.currentTimeMillis();
      client.admin().createTopic(name + "-in", partitions, 1, Map.of()).await().atMost(WAIT);
      client.admin().createTopic(name + "-out", partitions, 1, Map.of()).await().atMost(WAIT);
      Producer producer = client.producer(ProducerOptions.defaults().acks("1").lingerMs(5));
      produce(producer, name + "-in", 0, records, 0);
      long start = System.nanoTime();
      client.streams().create(StreamDefinition.builder(name).inputs(name + "-in").keyFormat("string")
          .filter("value.region == 'eu' && value.qty >= 10")
          .mapValue("{'id': value.id, 'total': value.qty * value.price}")
          .to(name + "-out").build()).await().atMost(WAIT);
      while (total(client, name + "-out", partitions) < records) {
        Thread.sleep(20); // polling the output's end offsets
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("throughput: %d records, %d partition(s), %.2f s, %.0f records/s%n", records, partitions,
          seconds, records / seconds);
      latency(client, producer, name, partitions, args.number("latency-records", 5_000), args.integer("rate", 1_000),
          records);
      client.streams().delete(name, true).await().atMost(WAIT);
    } finally {
      client.close().await().atMost(WAIT);
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

  /** A 100-byte JSON value. */
  static String value(long id) {
    String base = "{\"id\":" + id + ",\"region\":\"eu\",\"qty\":12,\"price\":2.5,\"pad\":\"";
    return base + "x".repeat(Math.max(0, 98 - base.length())) + "\"}";
  }

  /** Sends with at most 10,000 records pending (as {@code perf produce}); {@code ratePerSec} 0: unthrottled. */
  private static void produce(Producer producer, String topic, long from, long count, int ratePerSec)
      throws InterruptedException {
    Semaphore pending = new Semaphore(10_000);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    for (long i = 0; i < count && failure.get() == null; i++) {
      if (ratePerSec > 0) {
        long dueNs = start + i * 1_000_000_000L / ratePerSec;
        long waitNs = dueNs - System.nanoTime();
        if (waitNs > 0) {
          Thread.sleep(waitNs / 1_000_000, (int) (waitNs % 1_000_000)); // pacing the offered load
        }
      }
      pending.acquire();
      producer.send(ProducerRecord.of(topic, "k" + (from + i), value(from + i))).subscribe().with(md ->
          pending.release(), t -> {
            failure.compareAndSet(null, t);
            pending.release();
          });
    }
    pending.acquire(10_000);
    if (failure.get() != null) {
      throw new IllegalStateException("a send failed: " + failure.get(), failure.get());
    }
  }

  private static void latency(SluiceClient client, Producer producer, String name, int partitions, long count,
      int rate, long outputsBefore) throws Exception {
    LatencyStats stats = new LatencyStats();
    Object lock = new Object();
    List<Cancellable> readers = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      // from the end as it is now: a reader that resolved "end" only once the timed records flowed missed the first
      // ones (under load, 1,114 of 5,000 samples at six partitions)
      long end = client.admin().offsets(name + "-out", p).await().atMost(WAIT).endOffset();
      readers.add(client.partitionReader(ReaderOptions.of(name + "-out", p).start(StartPosition.offset(end))
          .fetchMaxWaitMs(500)).records().subscribe().with(r -> {
            long micros = (System.currentTimeMillis() - r.timestamp()) * 1000;
            synchronized (lock) {
              stats.record(micros);
            }
          }, t -> System.err.println("a latency reader failed, its samples are missing: " + t)));
    }
    Thread.sleep(1_000); // let the readers reach the end before the timed records are produced
    produce(producer, name + "-in", outputsBefore, count, rate);
    while (total(client, name + "-out", partitions) < outputsBefore + count) {
      Thread.sleep(20);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      synchronized (lock) {
        if (stats.count() >= count) {
          break;
        }
      }
      Thread.sleep(20);
    }
    readers.forEach(Cancellable::cancel);
    synchronized (lock) {
      System.out.printf("latency at %d records/s, input timestamp to output read: %s%n", rate, stats.summary());
    }
  }
}
