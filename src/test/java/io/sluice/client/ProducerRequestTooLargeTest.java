package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer's request over the broker's {@code http.max.body.bytes} (413 REQUEST_TOO_LARGE, the whole body refused
 * unread) is sent again in smaller requests, and a batch too large alone is split, so every record that fits a
 * request alone is written, once, in order. Before, every record of the request failed and, with idempotence, so did
 * every later record to each of its partitions ("create a new producer").
 */
class ProducerRequestTooLargeTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int BODY_LIMIT = 16 * 1024;
  private static final int PARTITIONS = 6;
  private static final long LINGER_FOREVER_MS = 600_000;

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of(BrokerConfig.HTTP_MAX_BODY_BYTES, BODY_LIMIT));
    client = broker.client();
    client.admin().createTopic("t", PARTITIONS, 1, Map.of()).await().atMost(WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aRequestOfSeveralPartitionsOverTheBodyLimitIsSentAgainInSmallerOnes() {
    // Three 4 KB batches per partition, all ready at one flush: one request of about 72 KB to the broker.
    Producer producer = client.producer(ProducerOptions.defaults().batchSizeBytes(4_000)
        .lingerMs(LINGER_FOREVER_MS));
    List<List<CompletableFuture<RecordMetadata>>> acks = new ArrayList<>();
    List<List<String>> sent = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      acks.add(new ArrayList<>());
      sent.add(new ArrayList<>());
    }
    for (int i = 0; i < 60 * PARTITIONS; i++) {
      int p = i % PARTITIONS;
      String value = "p" + p + "-" + i + "-" + "y".repeat(180);
      sent.get(p).add(value);
      acks.get(p).add(send(producer, ProducerRecord.of("t", null, value).withPartition(p)));
    }
    producer.flush().await().atMost(WAIT);
    for (int p = 0; p < PARTITIONS; p++) {
      assertWritten(p, acks.get(p), sent.get(p));
    }
    // And the producer goes on: nothing failed for good.
    CompletableFuture<RecordMetadata> next = send(producer, ProducerRecord.of("t", null, "after").withPartition(0));
    producer.flush().await().atMost(WAIT);
    assertThat(next.join().offset()).isEqualTo(60);
  }

  @Test
  void aBatchOfSeveralRecordsOverTheBodyLimitAloneIsSplit() {
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(LINGER_FOREVER_MS));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      sent.add("v" + i + "-" + "y".repeat(1_000));
      acks.add(send(producer, ProducerRecord.of("t", null, sent.get(i)).withPartition(0)));
    }
    producer.flush().await().atMost(WAIT);
    assertWritten(0, acks, sent);
  }

  @Test
  void aRecordOverTheBodyLimitAloneFailsAloneNamingTheLimitAndTheNextOneIsWritten() {
    Producer producer = client.producer(ProducerOptions.defaults());
    Throwable refused = producer.send(ProducerRecord.of("t", null, "x".repeat(2 * BODY_LIMIT)).withPartition(0))
        .onItem().<Throwable>transform(md -> null).onFailure().recoverWithItem(t -> t).await().atMost(WAIT);
    assertThat(refused).isInstanceOf(SluiceException.class)
        .hasMessageContaining("http.max.body.bytes " + BODY_LIMIT);
    assertThat(((SluiceException) refused).errorCode()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
    RecordMetadata next = producer.send(ProducerRecord.of("t", null, "after").withPartition(0)).await().atMost(WAIT);
    assertThat(next.offset()).isZero();
  }

  /** Every record acknowledged at consecutive offsets from 0 and read back in order, once. */
  private void assertWritten(int partition, List<CompletableFuture<RecordMetadata>> acks, List<String> sent) {
    for (int i = 0; i < acks.size(); i++) {
      assertThat(acks.get(i).handle((md, t) -> t == null ? md.offset() : t).join())
          .as("record %d of partition %d", i, partition).isEqualTo((long) i);
    }
    List<ConsumerRecord> read = client.partitionReader(ReaderOptions.of("t", partition).fetchMaxWaitMs(200))
        .records().select().first(sent.size()).collect().asList().await().atMost(WAIT);
    assertThat(read).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactlyElementsOf(sent);
    assertThat(client.admin().offsets("t", partition).await().atMost(WAIT).endOffset()).isEqualTo(sent.size());
  }

  private static CompletableFuture<RecordMetadata> send(Producer producer, ProducerRecord record) {
    CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
    producer.send(record, (md, failure) -> {
      if (failure == null) {
        ack.complete(md);
      } else {
        ack.completeExceptionally(failure);
      }
    });
    return ack.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS);
  }
}
