package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
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
 * An idempotent producer whose batch the broker refuses for good (a record above the topic's
 * {@code max.message.bytes}) fails that batch only and keeps writing to the partition, in order, each record once,
 * as Kafka's producer does: before, every later record to the partition failed ("create a new producer").
 */
class ProducerRefusedBatchTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int LIMIT = 2_000;
  private static final String BIG = "x".repeat(3 * LIMIT);

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
  void aRecordAboveMaxMessageBytesFailsAloneAndTheNextRecordToThePartitionIsWritten() {
    Producer producer = client.producer(ProducerOptions.defaults());
    Throwable refused = producer.send(ProducerRecord.of("t", null, BIG)).onItem().<Throwable>transform(md -> null)
        .onFailure().recoverWithItem(t -> t).await().atMost(WAIT);
    assertThat(refused).isInstanceOf(SluiceException.class).hasMessageContaining("max.message.bytes " + LIMIT);
    assertThat(((SluiceException) refused).errorCode()).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE);

    RecordMetadata next = producer.send(ProducerRecord.of("t", null, "after")).await().atMost(WAIT);
    assertThat(next.offset()).isZero();
    RecordMetadata third = producer.send(ProducerRecord.of("t", null, "later")).await().atMost(WAIT);
    assertThat(third.offset()).isEqualTo(1);
    assertThat(values(readAll(2))).containsExactly("after", "later");
  }

  @Test
  void batchesSharingTheRefusedOnesRequestAreWrittenInOrderOnce() {
    // Small batches that queue up go several to a request: the refused batch's request carries good ones too.
    // The first batches fill the bound on batches in flight, so the ones behind them, the refused one among them,
    // queue up and leave together.
    refusedAmongManyInFlight(ProducerOptions.defaults().batchSizeBytes(200).lingerMs(0), 12);
  }

  @Test
  void batchesInFlightInLaterRequestsBehindTheRefusedOneAreWrittenInOrderOnce() {
    // One batch per request, several requests in flight: the later ones reach the broker before the refusal is back.
    refusedAmongManyInFlight(ProducerOptions.defaults().batchSizeBytes(200).lingerMs(0).maxRequestSizeBytes(300), 4);
  }

  @Test
  void withoutIdempotenceTheBatchesSharingARefusedOnesRequestAreWrittenToo() {
    // One request in flight at a time without idempotence: the batches behind it queue up and share the next one.
    refusedAmongManyInFlight(ProducerOptions.defaults().idempotence(false).batchSizeBytes(200).lingerMs(0), 12);
  }

  @Test
  void severalRefusedBatchesAmongGoodOnesEachFailAlone() {
    Producer producer = client.producer(ProducerOptions.defaults().batchSizeBytes(200).lingerMs(0));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    List<String> good = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      boolean big = i % 7 == 3;
      String value = big ? BIG : "v" + i + "-" + "y".repeat(150);
      if (!big) {
        good.add(value);
      }
      acks.add(send(producer, value));
    }
    assertOutcome(acks, good, i -> i % 7 == 3);
  }

  private void refusedAmongManyInFlight(ProducerOptions options, int refused) {
    Producer producer = client.producer(options);
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    List<String> good = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String value = i == refused ? BIG : "v" + i + "-" + "y".repeat(150);
      if (i != refused) {
        good.add(value);
      }
      acks.add(send(producer, value));
    }
    assertOutcome(acks, good, i -> i == refused);
  }

  /** Refused records failed with the limit named, the others acknowledged at consecutive offsets, read back once. */
  private void assertOutcome(List<CompletableFuture<RecordMetadata>> acks, List<String> good,
      java.util.function.IntPredicate refused) {
    long expectedOffset = 0;
    for (int i = 0; i < acks.size(); i++) {
      CompletableFuture<RecordMetadata> ack = acks.get(i);
      if (refused.test(i)) {
        Throwable failure = ack.handle((md, t) -> t).join();
        assertThat(failure).as("record %d", i).isInstanceOf(SluiceException.class)
            .hasMessageContaining("max.message.bytes " + LIMIT);
      } else {
        assertThat(ack.join().offset()).as("record %d", i).isEqualTo(expectedOffset++);
      }
    }
    assertThat(values(readAll(good.size()))).containsExactlyElementsOf(good);
    assertThat(client.admin().offsets("t", 0).await().atMost(WAIT).endOffset()).isEqualTo(good.size());
  }

  private static CompletableFuture<RecordMetadata> send(Producer producer, String value) {
    CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
    producer.send(ProducerRecord.of("t", null, value), (md, failure) -> {
      if (failure == null) {
        ack.complete(md);
      } else {
        ack.completeExceptionally(failure);
      }
    });
    return ack.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private List<ConsumerRecord> readAll(int count) {
    return client.partitionReader(ReaderOptions.of("t", 0).fetchMaxWaitMs(200)).records()
        .select().first(count).collect().asList().await().atMost(WAIT);
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }
}
