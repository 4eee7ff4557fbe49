package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition that remembers {@code producer.id.max.per.partition} idempotent producers refuses a new one (429,
 * retriable): the producer already known keeps writing each record once, one without idempotence is not concerned,
 * and the new producer's record fails once its retries are spent while its later records still try, since nothing
 * of the refused one was written (before, every later record failed at once: "create a new producer").
 */
class ProducerIdLimitTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of(BrokerConfig.PRODUCER_ID_MAX_PER_PARTITION, 1));
    client = broker.client();
    client.admin().createTopic("t", 1, 1, Map.of()).await().atMost(WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aNewProducerBeyondTheBoundIsRefusedRetriablyAndTheKnownOneWritesOn() {
    Producer known = client.producer(ProducerOptions.defaults());
    assertThat(known.send(record("a0")).await().atMost(WAIT).offset()).isZero();

    Producer late = client.producer(ProducerOptions.defaults().retries(1).retryBackoffMs(1));
    Throwable first = failure(late, "b0");
    assertThat(first).isInstanceOf(SluiceException.class).hasMessageContaining("producer.id.max.per.partition is 1");
    assertThat(((SluiceException) first).errorCode()).isEqualTo(ErrorCode.PRODUCER_ID_LIMIT_EXCEEDED);
    assertThat(((SluiceException) first).retriable()).isTrue();
    // Nothing of b0 was written: b1 goes to the broker again (refused again, the partition being still full).
    Throwable second = failure(late, "b1");
    assertThat(second).hasMessageContaining("producer.id.max.per.partition is 1")
        .hasMessageNotContaining("create a new producer");

    assertThat(known.send(record("a1")).await().atMost(WAIT).offset()).isEqualTo(1);
    Producer plain = client.producer(ProducerOptions.defaults().idempotence(false));
    assertThat(plain.send(record("p0")).await().atMost(WAIT).offset()).isEqualTo(2);
    assertThat(values(client.partitionReader(ReaderOptions.of("t", 0).fetchMaxWaitMs(200)).records()
        .select().first(3).collect().asList().await().atMost(WAIT))).containsExactly("a0", "a1", "p0");
  }

  private static ProducerRecord record(String value) {
    return ProducerRecord.of("t", null, value);
  }

  private static Throwable failure(Producer producer, String value) {
    return producer.send(record(value)).onItem().<Throwable>transform(md -> null)
        .onFailure().recoverWithItem(t -> t).await().atMost(WAIT);
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }
}
