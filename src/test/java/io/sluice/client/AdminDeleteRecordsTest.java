package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.smallrye.mutiny.Multi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@link Admin#deleteRecords} against a real broker, as Kafka's {@code Admin.deleteRecords}. */
class AdminDeleteRecordsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of());
    client = broker.client();
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void deletesTheRecordsBelowTheOffsetAndAnswersTheLowWatermark() {
    client.admin().createTopic("t", 1, 1, Map.of()).await().atMost(WAIT);
    client.producer(ProducerOptions.defaults()).send(Multi.createFrom().range(0, 30)
        .map(i -> ProducerRecord.of("t", null, "v" + i))).collect().last().await().atMost(WAIT);

    assertThat(client.admin().deleteRecords("t", 0, 12).await().atMost(WAIT)).isEqualTo(12);
    assertThat(client.admin().offsets("t", 0).await().atMost(WAIT).beginningOffset()).isEqualTo(12);
    ConsumerRecord first = client.partitionReader(ReaderOptions.of("t", 0).fetchMaxWaitMs(200)).records()
        .select().first().toUni().await().atMost(WAIT);
    assertThat(first.offset()).as("a reader from the beginning starts at the new log start").isEqualTo(12);
    assertThat(client.admin().deleteRecords("t", 0, -1).await().atMost(WAIT)).isEqualTo(30);
    assertThatThrownBy(() -> client.admin().deleteRecords("t", 0, 31).await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE));
  }
}
