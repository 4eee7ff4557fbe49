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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer's inbox is drained in slices: a thread sending faster than the client's context routes records must
 * not keep that context in one task (a blocked-thread warning at 2.4 s was seen in {@code perf produce}).
 */
class ProducerDrainSliceTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dataDir;

  @Test
  void aTaskQueuedBehindALargeInboxRunsBeforeTheInboxIsDrainedAndEveryRecordStillArrivesInOrder() throws Exception {
    Broker broker = Broker.builder(TestBrokers.config(dataDir, Map.of())).listener(HttpListener::new)
        .vertxOptions(BlockedThreadGuard::testOptions).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    try {
      client.admin().createTopic("slices", 1, 1, Map.of()).await().atMost(WAIT);
      ProducerImpl producer = (ProducerImpl) client.producer(ProducerOptions.defaults());
      producer.send(ProducerRecord.of("slices", null, "first")).await().atMost(WAIT); // identity and metadata known

      int records = 3 * ProducerImpl.DRAIN_SLICE_RECORDS;
      CountDownLatch hold = new CountDownLatch(1);
      producer.context().runOnContext(v -> awaitQuietly(hold)); // the context is busy while the inbox fills
      List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        acks.add(producer.send(ProducerRecord.of("slices", null, "v" + i)).subscribeAsCompletionStage());
      }
      CompletableFuture<Integer> leftWhenTaskRan = new CompletableFuture<>();
      producer.context().runOnContext(v -> leftWhenTaskRan.complete(producer.inboxSize()));
      hold.countDown();

      assertThat(leftWhenTaskRan.get(60, TimeUnit.SECONDS)).as("sends still in the inbox when the queued task ran")
          .isGreaterThan(0);
      for (int i = 0; i < records; i++) {
        assertThat(acks.get(i).get(60, TimeUnit.SECONDS).offset()).isEqualTo(i + 1L);
      }
    } finally {
      client.close().await().atMost(WAIT);
      TestBrokers.close(broker);
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
