package io.sluice.cli.perf;

import io.smallrye.mutiny.Multi;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.ReaderOptions;
import io.sluice.client.ShareConsumer;
import io.sluice.client.ShareConsumerOptions;
import io.sluice.client.ShareConsumerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicDescription;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads N records from the beginning of every partition of a topic with partition readers (no group), or with
 * {@code --group G} as one member of a consumer group (the client's {@code GroupConsumer}, starting at the group's
 * commits, else the earliest offset; it commits what it read before leaving), and prints
 * {@code N records consumed, R records/sec (M MB/sec), first record after F ms}; the time runs from the first fetch
 * (or the group's join) to the Nth record. F (from the same start to the first record: the join, the first fetch and a
 * cold JVM's first decode) is what {@code bench/compare-kafka.sh} sets beside Kafka's tool's join time. With
 * {@code --share-group G} it reads as one member of a share group (KIP-932, the client's {@code ShareConsumer}, from
 * the earliest offset, each poll's records accepted implicitly by the next poll): what {@code bench/share-cost.sh}
 * sets beside a group consumer. {@code --fetch-max-bytes} bounds each partition's share of a fetch on both paths: a
 * reader's fetch, and the group member's {@code maxPartitionFetchBytes} (its poll asks that per owned partition,
 * within the broker's maximum).
 */
final class PerfConsume {
  static final Set<String> OPTIONS = Set.of("bootstrap", "command-config", "username", "password", "bearer-token", "topic", "records",
      "fetch-max-bytes", "group", "share-group");

  private final PerfArgs args;
  private final PrintStream out;

  PerfConsume(PerfArgs args, PrintStream out) {
    this.args = args;
    this.out = out;
  }

  int run() {
    String topic = args.string("topic");
    long records = args.number("records");
    int fetchMaxBytes = (int) args.number("fetch-max-bytes", 4 << 20);
    SluiceClient client = PerfCommand.client(args);
    if (args.string("share-group", null) != null) {
      try {
        return runShare(client, topic, records);
      } finally {
        client.close().await().atMost(PerfCommand.ADMIN_TIMEOUT);
      }
    }
    try {
      TopicDescription d = PerfCommand.ensureTopic(client, topic, 1);
      GroupConsumer consumer = args.string("group", null) != null ? client.consumer(ConsumerOptions.of(args.string("group"),
          List.of(topic)).maxPartitionFetchBytes(fetchMaxBytes).enableAutoCommit(false)) : null;
      Multi<ConsumerRecord> stream = consumer != null ? consumer.records() : readers(client, topic, d.partitionCount(), fetchMaxBytes);
      long[] bytes = {0};
      long[] firstAt = {0};
      long start = System.nanoTime();
      long count = stream
          .select().first(records)
          .onItem().invoke(r -> {
            if (firstAt[0] == 0) {
              firstAt[0] = System.nanoTime();
            }
            bytes[0] += r.payloadBytes();
          })
          .collect().with(java.util.stream.Collectors.counting())
          .await().atMost(Duration.ofHours(1));
      report(count, bytes[0], start, firstAt[0]);
      if (consumer != null) {
        consumer.commit().await().atMost(PerfCommand.ADMIN_TIMEOUT);
        consumer.close().await().atMost(PerfCommand.ADMIN_TIMEOUT);
      }
      return 0;
    } finally {
      client.close().await().atMost(PerfCommand.ADMIN_TIMEOUT);
    }
  }

  private void report(long count, long bytes, long start, long firstAt) {
    double s = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT,
        "%d records consumed, %.1f records/sec (%.2f MB/sec), first record after %d ms%n", count, count / s,
        bytes / s / (1024 * 1024), firstAt == 0 ? -1 : (firstAt - start) / 1_000_000);
    out.flush();
  }

  private int runShare(SluiceClient client, String topic, long records) {
    PerfCommand.ensureTopic(client, topic, 1);
    ShareConsumer consumer = client.shareConsumer(ShareConsumerOptions.of(args.string("share-group"))
        .fromEarliest(true));
    long start = System.nanoTime();
    consumer.subscribe(List.of(topic)).await().atMost(PerfCommand.ADMIN_TIMEOUT);
    long count = 0;
    long bytes = 0;
    long firstAt = 0;
    while (count < records) {
      for (ShareConsumerRecord r : consumer.poll(Duration.ofSeconds(1)).await().atMost(Duration.ofMinutes(1))) {
        firstAt = firstAt == 0 ? System.nanoTime() : firstAt;
        count++;
        bytes += r.record().payloadBytes();
      }
    }
    report(count, bytes, start, firstAt);
    consumer.close().await().atMost(PerfCommand.ADMIN_TIMEOUT); // accepts the last poll's records
    return 0;
  }

  private static Multi<ConsumerRecord> readers(SluiceClient client, String topic, int partitions,
      int fetchMaxBytes) {
    List<Multi<ConsumerRecord>> streams = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      streams.add(client.partitionReader(ReaderOptions.of(topic, p).start(StartPosition.beginning())
          .fetchMaxBytes(fetchMaxBytes)).records());
    }
    return Multi.createBy().merging().streams(streams);
  }
}
