package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.http.HttpListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The producer's inbox is drained a bounded number of records per task of the client's context, in send order. */
class ProducerDrainTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static Broker broker;
  static ClientImpl client;

  @BeforeAll
  static void start() throws Exception {
    broker = Broker.builder(TestBrokers.config(dataDir, Map.of())).listener(HttpListener::new)
        .vertxOptions(BlockedThreadGuard::testOptions).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = (ClientImpl) SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
  }

  @AfterAll
  static void stop() throws Exception {
    client.close().await().atMost(WAIT);
    TestBrokers.close(broker);
  }

  @Test
  void aBurstLargerThanOneTurnIsDrainedInSeveralTasksAndWrittenInSendOrder() throws Exception {
    client.admin().createTopic("burst-t", 1, 1, Map.of()).await().atMost(WAIT);
    ProducerImpl producer = (ProducerImpl) client.producer(ProducerOptions.defaults().acks("1"));
    producer.send(ProducerRecord.of("burst-t", null, "first")).await().atMost(WAIT); // identity and metadata known
    int count = 3 * ProducerImpl.MAX_RECORDS_PER_TURN + 10;
    CompletableFuture<List<CompletableFuture<RecordMetadata>>> sent = new CompletableFuture<>();
    long turnsBefore = drainTurns(producer);
    // Sent from one task of the client's context: the whole burst is in the inbox before its first drain runs.
    client.context().runOnContext(v -> {
      List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        acks.add(producer.send(ProducerRecord.of("burst-t", null, "v" + i)).subscribeAsCompletionStage());
      }
      sent.complete(acks);
    });
    List<CompletableFuture<RecordMetadata>> acks = sent.get(30, TimeUnit.SECONDS);
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    for (int i = 0; i < count; i++) {
      assertThat(acks.get(i).join().offset()).as("record %d", i).isEqualTo(i + 1L);
    }
    long turns = drainTurns(producer) - turnsBefore;
    assertThat(turns).as("drain tasks for %d records", count).isGreaterThanOrEqualTo(4);
    producer.close().await().atMost(WAIT);
  }

  /** Read on the context, which owns the counter. */
  private static long drainTurns(ProducerImpl producer) throws Exception {
    CompletableFuture<Long> turns = new CompletableFuture<>();
    client.context().runOnContext(v -> turns.complete(producer.drainTurns));
    return turns.get(30, TimeUnit.SECONDS);
  }
}
