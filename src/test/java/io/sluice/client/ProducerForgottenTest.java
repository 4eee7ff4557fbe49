package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.smallrye.mutiny.Multi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idempotent producer a partition no longer remembers (its last batches older than what a restart rebuilds, or
 * idle past {@code producer.id.expiration.ms}) goes on writing: the broker answers its next batch
 * UNKNOWN_PRODUCER_ID rather than out of sequence, and the producer moves the partition to its next epoch from
 * sequence 0, as Kafka's idempotent producer does (KIP-360). Before, the partition failed in the producer for good.
 */
class ProducerForgottenTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private BrokerBehindProxy broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerBehindProxy.start(dataDir, GUARD, UnaryOperator.identity());
    client = broker.client();
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aProducerWhoseStateARestartDidNotRebuildWritesOnInOrderOnce() throws Exception {
    // Segments of 1 KiB: the quiet producer's one batch ends up far behind the segments a restart reads back.
    client.admin().createTopic("quiet", 1, 1, Map.of("segment.bytes", "1024")).await().atMost(WAIT);
    Producer quiet = client.producer(ProducerOptions.defaults().lingerMs(0));
    assertThat(quiet.send(ProducerRecord.of("quiet", null, "q0")).await().atMost(WAIT).offset()).isZero();
    Producer busy = client.producer(ProducerOptions.defaults().idempotence(false).lingerMs(0).batchSizeBytes(300));
    busy.send(Multi.createFrom().range(0, 300).map(i -> ProducerRecord.of("quiet", null, "b" + i + "-" + "x".repeat(60))))
        .collect().last().await().atMost(WAIT);

    broker.restartBroker();

    List<RecordMetadata> acked = quiet.send(Multi.createFrom().range(1, 4).map(i -> ProducerRecord.of("quiet", null, "q" + i)))
        .collect().asList().await().atMost(WAIT);
    assertThat(acked).extracting(RecordMetadata::offset).containsExactly(301L, 302L, 303L);
    assertThat(values(read("quiet", 304)).stream().filter(v -> v.startsWith("q")))
        .containsExactly("q0", "q1", "q2", "q3");
  }

  private List<ConsumerRecord> read(String topic, int count) {
    return client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .select().first(count).collect().asList().await().atMost(WAIT);
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }
}
