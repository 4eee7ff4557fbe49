package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch of several records the broker refuses as larger than the topic's {@code max.message.bytes}, each of its
 * records fitting alone, is split and resent until every piece fits, as Kafka's producer does: every record is
 * written once, in send order. Before, every record of the batch failed. A record too large alone still fails alone,
 * naming the limit.
 */
class ProducerSplitBatchTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int LIMIT = 2_000;
  /** Holds a producer's batch open until the test flushes it: a whole burst is one batch. */
  private static final long LINGER_FOREVER_MS = 600_000;

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of());
    client = broker.client();
    client.admin().createTopic("t", 1, 1, Map.of("max.message.bytes", String.valueOf(LIMIT)))
        .await().atMost(WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aBatchOfSeveralRecordsAboveTheTopicsLimitIsSplitAndEveryRecordWrittenInOrderOnce() {
    // 40 records of about 170 bytes: one batch of about 7 KB, split twice before its pieces fit.
    sendAsOneBatch(ProducerOptions.defaults().lingerMs(LINGER_FOREVER_MS), 40, i -> small(i), i -> false);
  }

  @Test
  void withoutIdempotenceTooTheBatchIsSplitAndEveryRecordWrittenInOrderOnce() {
    sendAsOneBatch(ProducerOptions.defaults().idempotence(false).lingerMs(LINGER_FOREVER_MS), 40, i -> small(i),
        i -> false);
  }

  @Test
  void aRecordTooLargeAloneFailsAloneNamingTheLimitAndTheRecordsAroundItAreWritten() {
    sendAsOneBatch(ProducerOptions.defaults().lingerMs(LINGER_FOREVER_MS), 41,
        i -> i == 20 ? "x".repeat(3 * LIMIT) : small(i), i -> i == 20);
  }

  @Test
  void aCompressedBatchIsSplitToo() {
    Random random = new Random(42);
    sendAsOneBatch(ProducerOptions.defaults().compression(CompressionType.GZIP).lingerMs(LINGER_FOREVER_MS), 30,
        i -> "v" + i + "-" + random.ints(300, 'a', 'z' + 1)
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append), i -> false);
  }

  @Test
  void batchesInFlightBehindARefusedOneAreWrittenInOrderOnce() {
    // Topic limit 4,000: full batches of small records (5,000 bytes) are refused as too large, batches of one
    // 3,000-byte record fit. One batch a request, up to 5 in flight: the batches sent behind a refused one reach the
    // broker before it is split, and are either refused too (too large, or out of sequence) or were written.
    client.admin().createTopic("u", 1, 1, Map.of("max.message.bytes", "4000")).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().batchSizeBytes(5_000).lingerMs(0)
        .maxRequestSizeBytes(6_000));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      String value = (i / 30) % 2 == 0 ? small(i) : "b" + i + "-" + "z".repeat(3_000);
      sent.add(value);
      acks.add(send(producer, "u", value));
    }
    assertOutcome("u", acks, sent, i -> false);
  }

  /**
   * Sends {@code count} records as one batch (flushed at once), expects {@code refused} ones to fail naming the limit
   * and the others at consecutive offsets, read back in order, once.
   */
  private void sendAsOneBatch(ProducerOptions options, int count, IntFunction<String> value,
      java.util.function.IntPredicate refused) {
    Producer producer = client.producer(options);
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(value.apply(i));
      acks.add(send(producer, "t", sent.get(i)));
    }
    producer.flush().await().atMost(WAIT);
    assertOutcome("t", acks, sent, refused);
  }

  private static String small(int i) {
    return "v" + i + "-" + "y".repeat(150);
  }

  private void assertOutcome(String topic, List<CompletableFuture<RecordMetadata>> acks, List<String> sent,
      java.util.function.IntPredicate refused) {
    List<String> good = new ArrayList<>();
    long expectedOffset = 0;
    for (int i = 0; i < acks.size(); i++) {
      CompletableFuture<RecordMetadata> ack = acks.get(i);
      if (refused.test(i)) {
        Throwable failure = ack.handle((md, t) -> t).join();
        assertThat(failure).as("record %d", i).isInstanceOf(SluiceException.class)
            .hasMessageContaining("max.message.bytes");
        assertThat(((SluiceException) failure).errorCode()).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE);
      } else {
        assertThat(ack.handle((md, t) -> t == null ? md.offset() : t).join()).as("record %d", i)
            .isEqualTo(expectedOffset++);
        good.add(sent.get(i));
      }
    }
    assertThat(values(readAll(topic, good.size()))).containsExactlyElementsOf(good);
    assertThat(client.admin().offsets(topic, 0).await().atMost(WAIT).endOffset()).isEqualTo(good.size());
  }

  private static CompletableFuture<RecordMetadata> send(Producer producer, String topic, String value) {
    CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
    producer.send(ProducerRecord.of(topic, null, value), (md, failure) -> {
      if (failure == null) {
        ack.complete(md);
      } else {
        ack.completeExceptionally(failure);
      }
    });
    return ack.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private List<ConsumerRecord> readAll(String topic, int count) {
    return client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .select().first(count).collect().asList().await().atMost(WAIT);
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }
}
