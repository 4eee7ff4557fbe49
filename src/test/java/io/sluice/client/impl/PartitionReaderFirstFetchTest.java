package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.subscription.Cancellable;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.BrokerWithClient;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader's first fetch asks for at most {@link PartitionReaderImpl#FIRST_FETCH_BYTES}, each later one four times
 * the one before, up to {@code fetchMaxBytes}: the first records of a read that starts behind come after a small
 * answer, not after the largest one. Seen by which request each record came in: a large answer's records are handed
 * out after the fetch asked ahead of them left (PartitionReaderHandOutTest), so fetch k's records come out while
 * {@code k + 1} requests have been sent.
 */
class PartitionReaderFirstFetchTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int RECORDS = 200;
  private static final int VALUE_BYTES = 1024;

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
  void theFirstFetchIsSmallAndTheNextFourTimesLarger() throws Exception {
    Map<Long, Integer> perFetch = recordsPerFetch("ramp", ReaderOptions.of("ramp", 0).fetchMaxWaitMs(200));
    int first = perFetch.get(1L);
    assertThat(first).isPositive();
    assertThat((long) first * VALUE_BYTES).isLessThanOrEqualTo(PartitionReaderImpl.FIRST_FETCH_BYTES);
    // the second fetch asked 256 KiB: it brings every record the first left (about 140), more than 64 KiB holds
    assertThat(perFetch.get(2L)).isEqualTo(RECORDS - first);
    assertThat((long) perFetch.get(2L) * VALUE_BYTES).isGreaterThan(PartitionReaderImpl.FIRST_FETCH_BYTES);
  }

  @Test
  void noFetchAsksMoreThanFetchMaxBytes() throws Exception {
    int max = 16 * 1024;
    Map<Long, Integer> perFetch = recordsPerFetch("capped", ReaderOptions.of("capped", 0).fetchMaxBytes(max)
        .fetchMaxWaitMs(200));
    // a cap below the first fetch's size holds from the first fetch on, and the ramp does not pass it (the last
    // answer, a few records, is handed out before the next request leaves: it shares a count with the one before)
    assertThat(List.of(perFetch.get(1L), perFetch.get(2L), perFetch.get(3L)))
        .allSatisfy(n -> assertThat((long) n * VALUE_BYTES).isPositive().isLessThanOrEqualTo(max));
  }

  /**
   * Writes {@link #RECORDS} records of {@link #VALUE_BYTES} random bytes, each its own batch (the broker answers
   * whole batches), reads them all: how many came in each fetch (1 the first).
   */
  private Map<Long, Integer> recordsPerFetch(String topic, ReaderOptions options) throws Exception {
    client.admin().createTopic(topic, 1, 1, Map.of()).await().atMost(WAIT);
    Random random = new Random(0);
    Producer producer = client.producer(ProducerOptions.defaults());
    for (int i = 0; i < RECORDS; i++) {
      byte[] value = new byte[VALUE_BYTES];
      random.nextBytes(value); // incompressible, whatever the producer's codec
      producer.send(new ProducerRecord(topic, 0, null, null, value, List.of())).await().atMost(WAIT);
    }
    Fetcher fetcher = ((ClientImpl) client).fetcher();
    Map<Long, Integer> perFetch = new TreeMap<>();
    CompletableFuture<Void> all = new CompletableFuture<>();
    int[] seen = {0};
    Cancellable reading = client.partitionReader(options).records()
        .subscribe().with(r -> { // on the client's context, as the fetcher
          perFetch.merge(fetcher.requestsSent() - 1, 1, Integer::sum);
          if (++seen[0] == RECORDS) {
            all.complete(null);
          }
        });
    try {
      all.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      return perFetch;
    } finally {
      reading.cancel();
    }
  }
}
