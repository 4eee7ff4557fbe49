package io.sluice.cli.perf;

import io.smallrye.mutiny.subscription.Cancellable;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's EndToEndLatency on the client: one record at a time is produced (linger 0) to partition 0 and awaited by a
 * long-polling partition reader started at the end; latency is from the send call to the reader's delivery. Prints
 * the average and the 50th, 99th and 99.9th percentiles in milliseconds of the {@code --records} measured records,
 * sent after {@code --warmup} records (default 0) that go the same way unmeasured, as the Kafka side's tool in
 * {@code bench/compare-kafka.sh} skips its first 1,000 (a fresh JVM's first records wait for class loading and the
 * JIT, and would otherwise be the 99.9th percentile). {@code --samples FILE} also writes each measured record's send
 * time (epoch microseconds) and latency (microseconds), one record a line in send order, to line the slow ones up
 * against the JVMs' JFR events (docs/benchmarks.md, eighteenth session, h-tail2).
 */
final class PerfEndToEnd {
  static final Set<String> OPTIONS = Set.of("bootstrap", "command-config", "username", "password", "bearer-token", "topic", "records",
      "record-size", "acks",
      "warmup", "samples");
  private static final long RECORD_TIMEOUT_S = 30;

  private final PerfArgs args;
  private final PrintStream out;

  PerfEndToEnd(PerfArgs args, PrintStream out) {
    this.args = args;
    this.out = out;
  }

  int run() throws IllegalStateException {
    String topic = args.string("topic");
    long records = args.number("records");
    long warmup = args.number("warmup", 0);
    byte[] payload = new byte[(int) args.number("record-size", 100)];
    new Random(0).nextBytes(payload);
    SluiceClient client = PerfCommand.client(args);
    try {
      PerfCommand.ensureTopic(client, topic, 1);
      Producer producer = client.producer(ProducerOptions.defaults().lingerMs(0).acks(args.string("acks", "1")));
      LinkedBlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
      // The end looked up before the first send: a reader asked to start at "the end" resolves it on its own time
      // and could resolve it after the first record, which it would then never see.
      long end = client.admin().offsets(topic, 0).await().atMost(PerfCommand.ADMIN_TIMEOUT).endOffset();
      Cancellable reading = client.partitionReader(ReaderOptions.of(topic, 0).start(StartPosition.offset(end))
              .fetchMaxWaitMs(1_000)).records()
          .subscribe().with((ConsumerRecord r) -> arrivals.add(System.nanoTime()));
      Latencies latencies = new Latencies();
      long[] sentAt = new long[(int) records];
      for (long i = -warmup; i < records; i++) {
        long sent = System.nanoTime();
        producer.send(new ProducerRecord(topic, 0, null, null, payload, List.of())).subscribe().with(md -> { });
        Long arrived = arrivals.poll(RECORD_TIMEOUT_S, TimeUnit.SECONDS);
        if (arrived == null) {
          throw new IllegalStateException("record " + i + " was not read back within " + RECORD_TIMEOUT_S + " s");
        }
        if (i >= 0) {
          sentAt[(int) i] = sent;
          latencies.record((arrived - sent) / 1_000);
        }
      }
      reading.cancel();
      producer.close().await().atMost(PerfCommand.ADMIN_TIMEOUT);
      out.printf(Locale.ROOT,
          "%d records, avg latency %.3f ms, 50th %.3f ms, 99th %.3f ms, 99.9th %.3f ms%n", records,
          latencies.avgMs(), latencies.percentileMs(0.5), latencies.percentileMs(0.99), latencies.percentileMs(0.999));
      out.flush();
      String samples = args.string("samples", null);
      if (samples != null) {
        latencies.write(Path.of(samples), sentAt);
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      client.close().await().atMost(PerfCommand.ADMIN_TIMEOUT);
    }
  }
}
