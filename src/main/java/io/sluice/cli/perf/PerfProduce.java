package io.sluice.cli.perf;

import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends N records of S random bytes from one thread, as fast as allowed or at {@code --throughput} records/s, with
 * at most {@value #MAX_PENDING} unanswered (Kafka's producer blocks on its buffer memory the same way). Latency is
 * send call to acknowledgement. Prints Kafka's progress lines every 5 s and its summary line at the end.
 */
final class PerfProduce {
  static final Set<String> OPTIONS = Set.of("bootstrap", "command-config", "username", "password", "bearer-token", "topic", "records",
      "record-size", "acks", "throughput",
      "batch-size", "linger-ms", "partitions", "max-in-flight");
  private static final int MAX_PENDING = 200_000;
  private static final long REPORT_INTERVAL_NS = TimeUnit.SECONDS.toNanos(5);

  private final PerfArgs args;
  private final PrintStream out;
  // Completions all run on the client's one context, so these are touched by one thread at a time.
  private final Latencies latencies = new Latencies();
  private long windowCount;
  private long windowBytes;
  private long windowLatencyUs;
  private long windowMaxUs;
  private long windowStartNs = System.nanoTime();

  PerfProduce(PerfArgs args, PrintStream out) {
    this.args = args;
    this.out = out;
  }

  int run() {
    String topic = args.string("topic");
    long records = args.number("records");
    int recordSize = (int) args.number("record-size");
    long throughput = args.number("throughput", -1);
    ProducerOptions options = ProducerOptions.defaults().acks(args.string("acks", "all"))
        .batchSizeBytes((int) args.number("batch-size", ProducerOptions.DEFAULT_BATCH_SIZE_BYTES)).lingerMs(args.number("linger-ms", 5))
        .maxInFlightPerPartition((int) args.number("max-in-flight", ProducerOptions.defaults().maxInFlightPerPartition()));
    SluiceClient client = PerfCommand.client(args);
    try {
      PerfCommand.ensureTopic(client, topic, (int) args.number("partitions", 1));
      Producer producer = client.producer(options);
      byte[] payload = new byte[recordSize];
      new Random(0).nextBytes(payload);
      long start = System.nanoTime();
      send(producer, topic, payload, records, throughput);
      long elapsedNs = System.nanoTime() - start;
      producer.close().await().atMost(PerfCommand.ADMIN_TIMEOUT);
      printSummary(records, recordSize, elapsedNs);
      return 0;
    } finally {
      client.close().await().atMost(PerfCommand.ADMIN_TIMEOUT);
    }
  }

  private void send(Producer producer, String topic, byte[] payload, long records, long throughput) {
    Semaphore pending = new Semaphore(MAX_PENDING);
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] remaining = {records};
    long start = System.nanoTime();
    for (long i = 0; i < records && failure.get() == null; i++) {
      if (throughput > 0) {
        throttle(start, i, throughput);
      }
      pending.acquireUninterruptibly();
      long sentNs = System.nanoTime();
      // The callback form, as Kafka's perf tool uses: a subscribed Uni would hold three more objects per record.
      producer.send(new ProducerRecord(topic, null, null, null, payload, List.of()), (md, t) -> {
        pending.release();
        if (t != null) {
          failure.compareAndSet(null, t);
          done.countDown();
          return;
        }
        onAcked(sentNs, payload.length);
        if (--remaining[0] == 0) {
          done.countDown();
        }
      });
    }
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a send failed: " + failure.get(), failure.get());
    }
  }

  private static void throttle(long startNs, long sent, long perSecond) {
    long due = startNs + sent * 1_000_000_000L / perSecond;
    long wait = due - System.nanoTime();
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  private void onAcked(long sentNs, int bytes) {
    long now = System.nanoTime();
    long us = (now - sentNs) / 1_000;
    latencies.record(us);
    windowCount++;
    windowBytes += bytes;
    windowLatencyUs += us;
    windowMaxUs = Math.max(windowMaxUs, us);
    if (now - windowStartNs >= REPORT_INTERVAL_NS) {
      double s = (now - windowStartNs) / 1e9;
      out.printf(Locale.ROOT,
          "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.%n",
          windowCount, windowCount / s, windowBytes / s / (1024 * 1024), windowLatencyUs / 1000.0 / windowCount,
          windowMaxUs / 1000.0);
      windowCount = 0;
      windowBytes = 0;
      windowLatencyUs = 0;
      windowMaxUs = 0;
      windowStartNs = now;
    }
  }

  private void printSummary(long records, int recordSize, long elapsedNs) {
    double s = elapsedNs / 1e9;
    out.printf(Locale.ROOT,
          "%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
            + "%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.%n",
        records, records / s, records * (double) recordSize / s / (1024 * 1024), latencies.avgMs(),
        latencies.maxMs(), (long) latencies.percentileMs(0.5), (long) latencies.percentileMs(0.95),
        (long) latencies.percentileMs(0.99), (long) latencies.percentileMs(0.999));
    out.flush();
  }
}
