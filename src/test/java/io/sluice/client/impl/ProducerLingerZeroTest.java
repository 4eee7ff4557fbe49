package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.http.HttpListener;
import io.vertx.core.Promise;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer with linger 0 seals, per drain of its inbox, the batches opened since the last drain: not every
 * partition it ever wrote to (that walk grew with the partition count, per record sent).
 */
class ProducerLingerZeroTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PARTITIONS = 12;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dataDir;

  @Test
  void oneRecordAtATimeChecksOnlyTheBatchItOpenedWhateverThePartitionsWrittenBefore() throws Exception {
    Broker broker = Broker.builder(TestBrokers.config(dataDir, Map.of())).listener(HttpListener::new)
        .vertxOptions(BlockedThreadGuard::testOptions).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    try {
      client.admin().createTopic("wide", PARTITIONS, 1, Map.of()).await().atMost(WAIT);
      ProducerImpl producer = (ProducerImpl) client.producer(ProducerOptions.defaults().lingerMs(0));
      for (int p = 0; p < PARTITIONS; p++) {
        producer.send(new ProducerRecord("wide", p, null, null, new byte[] {1}, List.of())).await().atMost(WAIT);
      }
      long before = lingerChecks(producer);

      int records = 50;
      for (int i = 0; i < records; i++) {
        assertThat(producer.send(new ProducerRecord("wide", 7, null, null, new byte[] {2}, List.of()))
            .await().atMost(WAIT).offset()).isEqualTo(1L + i);
      }

      // One batch opened and checked per record (each awaited, so each its own drain), not one per partition.
      assertThat(lingerChecks(producer) - before).isEqualTo(records);
    } finally {
      client.close().await().atMost(WAIT);
      TestBrokers.close(broker);
    }
  }

  private static long lingerChecks(ProducerImpl producer) throws Exception {
    Promise<Long> checks = Promise.promise();
    producer.context().runOnContext(v -> checks.complete(producer.sender().lingerChecks()));
    return checks.future().await(10, TimeUnit.SECONDS);
  }
}
