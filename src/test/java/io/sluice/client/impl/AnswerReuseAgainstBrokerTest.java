package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.BrokerWithClient;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.smallrye.mutiny.Multi;
import io.vertx.core.Context;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large answers (readers' fetches, a group member's polls) are gathered into arrays given back when every partition
 * of the answer was read to its end ({@link AnswerArrays}), and no record ever shows bytes of a later answer: reads of
 * many answers of several MiB from two partitions, every value checked byte for byte against what was written.
 */
class AnswerReuseAgainstBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PARTITIONS = 2;
  private static final int RECORDS_PER_PARTITION = 2_000;
  private static final int VALUE_BYTES = 4 * 1024;
  /** Records asked for per turn of the client's context. */
  private static final int STEP = 8;

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of(), options -> options.requestTimeoutMs(10_000));
    client = broker.client();
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  /** The value of a partition's record at an offset: random bytes from a seed of both, incompressible. */
  private static byte[] value(int partition, long offset) {
    byte[] v = new byte[VALUE_BYTES];
    new Random(partition * 1_000_003L + offset).nextBytes(v);
    return v;
  }

  @Test
  void largeAnswersReuseArraysAndEveryRecordReadsBackAsWritten() throws Exception {
    produce("reuse");
    readEveryRecordAsWritten(this::readers);
    // Within one read, whether an answer's array comes back before the next fetch needs one depends on timing; by the
    // second read every array the first gave back is idle, and its large answers take them.
    readEveryRecordAsWritten(this::readers);
    assertThat(((ClientImpl) client).transport().arrays().reused()).isPositive();
  }

  /** The same of a group member's poll answers: two members (two groups) of one client, one after the other. */
  @Test
  void largePollAnswersReuseArraysAndEveryRecordReadsBackAsWritten() throws Exception {
    produce("reuse");
    readEveryRecordAsWritten(reading -> member("first", reading));
    readEveryRecordAsWritten(reading -> member("second", reading));
    assertThat(((ClientImpl) client).transport().arrays().reused()).isPositive();
  }

  private void produce(String topic) throws Exception {
    client.admin().createTopic(topic, PARTITIONS, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults());
    List<CompletableFuture<?>> sent = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      for (int i = 0; i < RECORDS_PER_PARTITION; i++) {
        sent.add(producer.send(new ProducerRecord(topic, p, null, null, value(p, i), List.of()))
            .subscribeAsCompletionStage());
      }
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * 2 MiB a partition: after the ramp every answer is over 1 MiB, gathered into pooled arrays, whether the two
   * readers' fetches go in one request or in two (at 1 MiB a partition, two requests answered just under it).
   */
  private List<Multi<ConsumerRecord>> readers(List<AutoCloseable> reading) {
    List<Multi<ConsumerRecord>> streams = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      streams.add(client.partitionReader(ReaderOptions.of("reuse", p).fetchMaxBytes(2 << 20).fetchMaxWaitMs(200))
          .records());
    }
    return streams;
  }

  /** 4 MiB polls: every answer with records of both partitions is over 1 MiB, gathered into pooled arrays. */
  private List<Multi<ConsumerRecord>> member(String group, List<AutoCloseable> reading) {
    GroupConsumer consumer = client.consumer(ConsumerOptions.of(group, List.of("reuse")).fetchMaxBytes(4 << 20)
        .enableAutoCommit(false));
    reading.add(() -> consumer.close().await().atMost(WAIT));
    return List.of(consumer.records());
  }

  private void readEveryRecordAsWritten(java.util.function.Function<List<AutoCloseable>, List<Multi<ConsumerRecord>>> streams)
      throws Exception {
    List<String> wrong = new ArrayList<>();
    CompletableFuture<Void> all = new CompletableFuture<>();
    int[] seen = {0};
    Map<Integer, Long> next = new ConcurrentHashMap<>();
    List<AutoCloseable> reading = new ArrayList<>();
    Context context = ((ClientImpl) client).context();
    // A few records asked each millisecond (pacing, not waiting for anything): the walk of one answer is slower than
    // the next answer's arrival, so an array given back too early would be gathered into while it is read.
    for (Multi<ConsumerRecord> stream : streams.apply(reading)) {
      stream.subscribe().withSubscriber(new Flow.Subscriber<ConsumerRecord>() {
        private Flow.Subscription subscription;
        private int taken;

        @Override
        public void onSubscribe(Flow.Subscription s) {
          subscription = s;
          reading.add(0, s::cancel);
          s.request(STEP);
        }

        @Override
        public void onNext(ConsumerRecord r) { // on the client's context
          // a record of a later answer read in the place of this one's would be whole, but not the next
          long expected = next.getOrDefault(r.partition(), 0L);
          next.put(r.partition(), r.offset() + 1);
          if (r.offset() != expected
              || !ByteBuffer.wrap(r.value()).equals(ByteBuffer.wrap(value(r.partition(), r.offset())))) {
            wrong.add(r.partition() + "-" + r.offset());
          }
          if (++seen[0] == PARTITIONS * RECORDS_PER_PARTITION) {
            all.complete(null);
          }
          if (++taken % STEP == 0) {
            context.owner().setTimer(1, id -> subscription.request(STEP));
          }
        }

        @Override
        public void onError(Throwable t) {
          all.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
        }
      });
    }
    try {
      all.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      for (AutoCloseable c : reading) {
        c.close();
      }
    }
    assertThat(wrong).isEmpty();
  }
}
