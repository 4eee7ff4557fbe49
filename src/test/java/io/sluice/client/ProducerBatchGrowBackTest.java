package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * After one burst of incompressible records whose compressed batch the broker refused as above the topic's
 * {@code max.message.bytes} (split, and the partition's batches sealed at half its size from then on), the usual
 * records, which compress far below the limit, are batched at full size again: the lowered bound grows back as
 * batches near it are written. Before, the partition sealed its batches at half the refused batch for the producer's
 * life. Every record is still written once, in send order.
 *
 * And after the topic's {@code max.message.bytes} is raised at runtime, a partition whose batches were split down to
 * the old limit seals them at {@code batchSizeBytes} again.
 */
class ProducerBatchGrowBackTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int LIMIT = 4_000;
  private static final int BATCH_SIZE = 16_000;
  private static final int ROUNDS = 40;
  private static final int PER_ROUND = 100;
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
  void afterABurstRefusedAsTooLargeTheUsualRecordsAreBatchedAtFullSizeAgain() throws Exception {
    Producer producer = client.producer(ProducerOptions.defaults().compression(CompressionType.GZIP)
        .batchSizeBytes(BATCH_SIZE).lingerMs(LINGER_FOREVER_MS));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    // The burst: 30 records of random letters, about 9.6 KB as one batch, about 6 KB gzipped: refused, split.
    Random random = new Random(42);
    for (int i = 0; i < 30; i++) {
      send(producer, "t", "burst-" + i + "-" + random.ints(300, 'a', 'z' + 1)
          .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append), acks, sent);
    }
    producer.flush().await().atMost(WAIT);
    int burstEnd = sent.size();
    // The usual records: 300 bytes that gzip to a few, a round at a time, so answers come back between batches.
    sendRounds(producer, "t", 0, ROUNDS, acks, sent);
    assertWrittenOnceInOrder("t", acks, sent);

    List<Integer> counts = storedBatchRecordCounts("t", sent.size());
    assertThat(counts.stream().mapToInt(Integer::intValue).sum()).isEqualTo(sent.size());
    assertThat(counts.get(0)).as("the burst, split: %s", counts).isLessThan(burstEnd);
    // A batch of the usual records sealed at half the refused burst (about 4.8 KB) holds 14; at 16 KB, 49.
    List<Integer> lastRound = counts.subList(counts.size() - 3, counts.size());
    assertThat(Collections.max(lastRound)).as("the last round's batches, of %s", counts).isGreaterThanOrEqualTo(45);
  }

  @Test
  void afterTheTopicsLimitIsRaisedBatchesGrowBackToFullSize() throws Exception {
    // Full batches of 16,000 bytes above the topic's 4,000: split down to about 4,000, the bound lowered with them.
    client.admin().createTopic("r", 1, 1, Map.of("max.message.bytes", String.valueOf(LIMIT))).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().batchSizeBytes(BATCH_SIZE)
        .lingerMs(LINGER_FOREVER_MS));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    sendRounds(producer, "r", 0, 5, acks, sent);
    client.admin().alterTopicConfigs("r", List.of(ConfigChange.set("max.message.bytes", "1000000")))
        .await().atMost(WAIT);
    sendRounds(producer, "r", 5, ROUNDS, acks, sent);
    assertWrittenOnceInOrder("r", acks, sent);

    List<Integer> counts = storedBatchRecordCounts("r", sent.size());
    assertThat(counts.subList(0, 10)).as("below the limit of 4,000 bytes: %s", counts).allMatch(c -> c <= 13);
    List<Integer> lastRound = counts.subList(counts.size() - 3, counts.size());
    assertThat(Collections.max(lastRound)).as("the last round's batches, of %s", counts).isGreaterThanOrEqualTo(45);
  }

  /** Rounds {@code from} to {@code to} of {@code PER_ROUND} records of 300 bytes, flushed after each round. */
  private static void sendRounds(Producer producer, String topic, int from, int to,
      List<CompletableFuture<RecordMetadata>> acks, List<String> sent) {
    for (int round = from; round < to; round++) {
      for (int i = 0; i < PER_ROUND; i++) {
        send(producer, topic, "usual-" + round + "-" + i + "-" + "y".repeat(300), acks, sent);
      }
      producer.flush().await().atMost(WAIT);
    }
  }

  /** Every record acknowledged at its send index and read back once, in send order. */
  private void assertWrittenOnceInOrder(String topic, List<CompletableFuture<RecordMetadata>> acks,
      List<String> sent) {
    for (int i = 0; i < acks.size(); i++) {
      assertThat(acks.get(i).join().offset()).as("record %d", i).isEqualTo(i);
    }
    assertThat(readAll(topic, sent.size())).containsExactlyElementsOf(sent);
    assertThat(client.admin().offsets(topic, 0).await().atMost(WAIT).endOffset()).isEqualTo(sent.size());
  }

  private static void send(Producer producer, String topic, String value, List<CompletableFuture<RecordMetadata>> acks,
      List<String> sent) {
    CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
    producer.send(ProducerRecord.of(topic, null, value).withPartition(0), (md, failure) -> {
      if (failure == null) {
        ack.complete(md);
      } else {
        ack.completeExceptionally(failure);
      }
    });
    acks.add(ack.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS));
    sent.add(value);
  }

  private List<String> readAll(String topic, int count) {
    return client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .select().first(count).collect().asList().await().atMost(WAIT)
        .stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  /** The record count of every batch the partition stores, in offset order, read as the broker stores them. */
  private List<Integer> storedBatchRecordCounts(String topic, int records) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    List<Integer> counts = new ArrayList<>();
    long offset = 0;
    while (offset < records) {
      HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
              + broker.httpPort() + "/topics/" + topic + "/partitions/0/records?offset=" + offset + "&timeout=0"))
          .header("Accept", "application/vnd.sluice.batch").build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(answer.statusCode()).isEqualTo(200);
      ByteBuffer bytes = ByteBuffer.wrap(answer.body());
      while (bytes.remaining() >= RecordBatch.HEADER_SIZE) {
        int start = bytes.position();
        int size = RecordBatch.LOG_OVERHEAD + bytes.getInt(start + RecordBatch.LENGTH_OFFSET);
        if (bytes.getLong(start + RecordBatch.BASE_OFFSET_OFFSET) >= offset) {
          counts.add(bytes.getInt(start + RecordBatch.RECORDS_COUNT_OFFSET));
        }
        bytes.position(start + size);
      }
      offset = Long.parseLong(answer.headers().firstValue("Sluice-Next-Offset").orElseThrow());
    }
    return counts;
  }
}
