package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sent record's {@link RecordMetadata#timestamp()} is the timestamp it is stored with, as Kafka's: the leader's
 * stamp on a LogAppendTime topic (before, the client gave the timestamp it sent, which the topic had replaced), the
 * sent one on a CreateTime topic.
 */
class LogAppendTimeMetadataTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long SENT_TIMESTAMP = 1_000L;

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

  private List<RecordMetadata> send(String topic, int count) {
    Producer producer = client.producer(ProducerOptions.defaults());
    List<RecordMetadata> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(producer.send(new ProducerRecord(topic, 0, SENT_TIMESTAMP, null,
          ("v" + i).getBytes(StandardCharsets.UTF_8), List.of())).await().atMost(WAIT));
    }
    return sent;
  }

  private List<Long> storedTimestamps(String topic, int count) {
    return client.partitionReader(ReaderOptions.of(topic, 0)).records().select().first(count)
        .map(ConsumerRecord::timestamp).collect().asList().await().atMost(WAIT);
  }

  @Test
  void aLogAppendTimeTopicsRecordsAreAnsweredWithTheLeadersStamp() {
    client.admin().createTopic("stamped", 1, 1, Map.of("message.timestamp.type", "LogAppendTime"))
        .await().atMost(WAIT);
    long before = System.currentTimeMillis();

    List<RecordMetadata> sent = send("stamped", 3);

    List<Long> stored = storedTimestamps("stamped", 3);
    assertThat(stored.get(0)).isGreaterThanOrEqualTo(before);
    assertThat(sent).extracting(RecordMetadata::timestamp).containsExactlyElementsOf(stored);
  }

  @Test
  void aCreateTimeTopicsRecordsAreAnsweredWithTheSentTimestamp() {
    client.admin().createTopic("created", 1, 1, Map.of()).await().atMost(WAIT);

    List<RecordMetadata> sent = send("created", 2);

    assertThat(sent).extracting(RecordMetadata::timestamp).containsOnly(SENT_TIMESTAMP);
    assertThat(storedTimestamps("created", 2)).containsOnly(SENT_TIMESTAMP);
  }
}
