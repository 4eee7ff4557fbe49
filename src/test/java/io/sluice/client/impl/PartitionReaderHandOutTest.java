package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.subscription.Cancellable;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.BrokerWithClient;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition reader hands a small answer's records out before it sends the next fetch (a caught-up reader's record
 * does not wait behind that request's building and writing), and a large answer's after it (the broker reads the
 * next one while this side decodes). Seen in which turn the records come: the reader's first fetch is request 1, the
 * one it asks ahead is request 2.
 */
class PartitionReaderHandOutTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of(), options -> options.requestTimeoutMs(5_000));
    client = broker.client();
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aSmallAnswersRecordIsHandedOutBeforeTheNextFetchIsSent() throws Exception {
    assertThat(requestsSentWhenHandedOut("small", 100)).isEqualTo(1);
  }

  @Test
  void aLargeAnswersRecordIsHandedOutAfterTheNextFetchLeft() throws Exception {
    assertThat(requestsSentWhenHandedOut("large", PartitionReaderImpl.HAND_OUT_FIRST_BYTES + 1)).isEqualTo(2);
  }

  /** Writes one record of {@code valueBytes} random bytes, reads it: how many fetches were sent when it came out. */
  private long requestsSentWhenHandedOut(String topic, int valueBytes) throws Exception {
    client.admin().createTopic(topic, 1, 1, Map.of()).await().atMost(WAIT);
    byte[] value = new byte[valueBytes];
    new Random(0).nextBytes(value); // incompressible, whatever the producer's codec
    client.producer(ProducerOptions.defaults()).send(new ProducerRecord(topic, 0, null, null, value, List.of())).await().atMost(WAIT);
    Fetcher fetcher = ((ClientImpl) client).fetcher();
    CompletableFuture<Long> sent = new CompletableFuture<>();
    Cancellable reading = client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .subscribe().with(r -> sent.complete(fetcher.requestsSent())); // on the client's context, as the fetcher
    try {
      return sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      reading.cancel();
    }
  }
}
