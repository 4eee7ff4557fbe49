package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.smallrye.mutiny.Multi;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
  private Broker broker;
  private Vertx proxyVertx;
  private LossyProxy proxy;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = startBroker(0);
    proxyVertx = Vertx.vertx();
    proxy = new LossyProxy(proxyVertx, broker.httpPort());
    client = SluiceClient.create(ClientOptions.bootstrap(proxy.url()).followLeaders(false));
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close().await().atMost(WAIT);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (proxyVertx != null) {
      proxyVertx.close().await(30, TimeUnit.SECONDS);
    }
    TestBrokers.close(broker);
  }

  private Broker startBroker(int port) throws Exception {
    return TestBrokers.start(TestBrokers.config(dataDir, Map.of(BrokerConfig.HTTP_PORT, port)), GUARD,
        HttpListener::new);
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

    restartBroker();

    List<RecordMetadata> acked = quiet.send(Multi.createFrom().range(1, 4).map(i -> ProducerRecord.of("quiet", null, "q" + i)))
        .collect().asList().await().atMost(WAIT);
    assertThat(acked).extracting(RecordMetadata::offset).containsExactly(301L, 302L, 303L);
    assertThat(values(read("quiet", 304)).stream().filter(v -> v.startsWith("q")))
        .containsExactly("q0", "q1", "q2", "q3");
  }

  private void restartBroker() throws Exception {
    int port = broker.httpPort();
    TestBrokers.close(broker);
    broker = startBroker(port);
    proxy.brokerPort(broker.httpPort());
  }

  private List<ConsumerRecord> read(String topic, int count) {
    return client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .select().first(count).collect().asList().await().atMost(WAIT);
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }
}
