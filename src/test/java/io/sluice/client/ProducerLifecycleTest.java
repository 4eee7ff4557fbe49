package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.Uni;
import io.sluice.broker.testing.BlockedThreadGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer's {@code flush} and {@code close} finish sends still lingering, and {@code acks} reaches the broker
 * and decides what the producer reports (issue 6).
 */
class ProducerLifecycleTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Far longer than any test: a record is sent before it only if flush or close sends it. */
  private static final long LINGER_FOREVER_MS = 600_000;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static BrokerBehindProxy broker;
  static LossyProxy proxy;
  static SluiceClient client;

  @BeforeAll
  static void start() throws Exception {
    broker = BrokerBehindProxy.start(dataDir, GUARD, UnaryOperator.identity());
    proxy = broker.proxy();
    client = broker.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  private static List<CompletableFuture<RecordMetadata>> sendAll(Producer producer, String topic, int count) {
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      acks.add(producer.send(ProducerRecord.of(topic, null, "v" + i)).subscribeAsCompletionStage());
    }
    return acks;
  }

  private static List<String> readAll(String topic, int count) {
    return client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records().select().first(count)
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).collect().asList().await().atMost(WAIT);
  }

  @Test
  void flushSendsLingeringRecordsAndCompletesOnceTheyAreAcknowledged() {
    client.admin().createTopic("flush-t", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(LINGER_FOREVER_MS));
    List<CompletableFuture<RecordMetadata>> acks = sendAll(producer, "flush-t", 50);
    producer.flush().await().atMost(WAIT);
    assertThat(acks).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(acks.get(49).join().offset()).isEqualTo(49);
    producer.close().await().atMost(WAIT);
  }

  @Test
  void closeFinishesLingeringSendsThenRefusesNewOnes() {
    client.admin().createTopic("close-t", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(LINGER_FOREVER_MS));
    List<CompletableFuture<RecordMetadata>> acks = sendAll(producer, "close-t", 30);
    producer.close().await().atMost(WAIT);
    assertThat(acks).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(readAll("close-t", 30)).hasSize(30).startsWith("v0").endsWith("v29");
    Uni<RecordMetadata> late = producer.send(ProducerRecord.of("close-t", null, "late"));
    assertThat(late.subscribeAsCompletionStage()).failsWithin(WAIT);
  }

  @Test
  void eachAcksSettingIsSentToTheBrokerAndAcksZeroReportsNoOffset() {
    client.admin().createTopic("acks-t", 1, 1, Map.of()).await().atMost(WAIT);
    for (String acks : List.of("0", "1", "all")) {
      Producer producer = client.producer(ProducerOptions.defaults().acks(acks).lingerMs(0));
      RecordMetadata md = producer.send(ProducerRecord.of("acks-t", null, "acks=" + acks)).await().atMost(WAIT);
      producer.close().await().atMost(WAIT);
      if (acks.equals("0")) {
        assertThat(md.offset()).as("acks=0 is not answered").isEqualTo(-1);
      } else {
        assertThat(md.offset()).as("acks=" + acks).isBetween(0L, 2L);
      }
      assertThat(proxy.requests).as("acks=" + acks).contains("POST /batches?acks=" + acks);
    }
    // An unanswered acks=0 write may land after the next producer's: the order is not promised.
    assertThat(readAll("acks-t", 3)).containsExactlyInAnyOrder("acks=0", "acks=1", "acks=all");
  }

  @Test
  void batchesForManyPartitionsGoOutInOneRequestPerBroker() {
    client.admin().createTopic("many-t", 6, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(LINGER_FOREVER_MS));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      acks.add(producer.send(ProducerRecord.of("many-t", null, "v" + i).withPartition(i % 6))
          .subscribeAsCompletionStage());
    }
    long before = proxy.requests.stream().filter(r -> r.startsWith("POST /batches")).count();
    producer.flush().await().atMost(WAIT);
    long after = proxy.requests.stream().filter(r -> r.startsWith("POST /batches")).count();
    assertThat(after - before).as("one request carries all six partitions' batches").isEqualTo(1);
    assertThat(acks).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    for (int p = 0; p < 6; p++) {
      int partition = p;
      assertThat(acks).filteredOn(f -> f.join().partition() == partition)
          .extracting(f -> f.join().offset()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }
    producer.close().await().atMost(WAIT);
  }
}
