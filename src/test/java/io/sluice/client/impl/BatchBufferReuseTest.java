package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.http.HttpListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch arrays are reused from answered batches: the records of hundreds of batches, several partitions' batches in
 * flight at once, all arrive intact at the offsets the producer reported. An array handed to a new batch while an
 * earlier batch's bytes were still to be sent would show as overwritten values or a refused CRC.
 */
class BatchBufferReuseTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PARTITIONS = 3;
  private static final int RECORDS = 6_000;
  private static final int PENDING = 600;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dataDir;

  @Test
  void reusedArraysCarryEveryRecordIntactAtItsReportedOffset() throws Exception {
    Broker broker = Broker.builder(TestBrokers.config(dataDir, Map.of())).listener(HttpListener::new)
        .vertxOptions(BlockedThreadGuard::testOptions).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    try {
      client.admin().createTopic("reuse", PARTITIONS, 1, Map.of()).await().atMost(WAIT);
      // Batches of about 30 records: a first small one per partition, then full-size ones from the pool.
      ProducerImpl producer = (ProducerImpl) client.producer(ProducerOptions.defaults().batchSizeBytes(4_096));
      // At most a few batches' records unanswered, as perf produce bounds them: batches are answered while later
      // ones fill and others are in flight, so arrays come back and are taken again all along.
      Semaphore pending = new Semaphore(PENDING);
      List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) {
        assertThat(pending.tryAcquire(60, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
        acks.add(ack);
        producer.send(new ProducerRecord("reuse", i % PARTITIONS, null, null, value(i), List.of()), (md, t) -> {
          pending.release();
          if (t == null) {
            ack.complete(md);
          } else {
            ack.completeExceptionally(t);
          }
        });
      }
      List<List<Long>> offsets = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        offsets.add(new ArrayList<>());
      }
      for (int i = 0; i < RECORDS; i++) {
        offsets.get(i % PARTITIONS).add(acks.get(i).get(60, TimeUnit.SECONDS).offset());
      }
      CompletableFuture<Long> reused = new CompletableFuture<>();
      producer.context().runOnContext(v -> reused.complete(producer.buffers().reused()));
      assertThat(reused.get(60, TimeUnit.SECONDS)).as("batches that took an answered batch's array")
          .isGreaterThan(RECORDS / 37 / 2);

      for (int p = 0; p < PARTITIONS; p++) {
        List<ConsumerRecord> read = client.partitionReader(ReaderOptions.of("reuse", p).fetchMaxWaitMs(200))
            .records().select().first(RECORDS / PARTITIONS).collect().asList().await().atMost(WAIT);
        for (int k = 0; k < read.size(); k++) {
          int i = k * PARTITIONS + p;
          assertThat(read.get(k).offset()).isEqualTo(offsets.get(p).get(k));
          assertThat(new String(read.get(k).value(), StandardCharsets.UTF_8)).isEqualTo(new String(value(i),
              StandardCharsets.UTF_8));
        }
      }
    } finally {
      client.close().await().atMost(WAIT);
      TestBrokers.close(broker);
    }
  }

  /** 100 bytes that differ from every other record's. */
  private static byte[] value(int i) {
    return String.format("%-100s", "record-" + i).replace(' ', (char) ('a' + i % 26)).getBytes(StandardCharsets.UTF_8);
  }
}
