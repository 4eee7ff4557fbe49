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
import io.sluice.client.SluiceClient;
import io.vertx.core.Context;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group member's poll answers of several MiB are gathered into arrays given back once every section of the answer
 * was handed out to its end ({@link AnswerArrays}), as a partition reader's are, and no record ever shows bytes of a
 * later answer: two members (two groups, one client) read every record of two partitions, each value checked byte
 * for byte against what was written.
 */
class GroupConsumerAnswerReuseTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PARTITIONS = 2;
  private static final int RECORDS_PER_PARTITION = 1_500;
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
  void largePollAnswersReuseArraysAndEveryRecordReadsBackAsWritten() throws Exception {
    client.admin().createTopic("greuse", PARTITIONS, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults());
    List<CompletableFuture<?>> sent = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      for (int i = 0; i < RECORDS_PER_PARTITION; i++) {
        sent.add(producer.send(new ProducerRecord("greuse", p, null, null, value(p, i), List.of()))
            .subscribeAsCompletionStage());
      }
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    readEveryRecordAsWritten("first");
    // Within one read, whether an answer's array comes back before the next poll needs one depends on timing; by the
    // second member's read every array the first gave back is idle, and its large answers take them.
    readEveryRecordAsWritten("second");
    assertThat(((ClientImpl) client).transport().arrays().reused()).isPositive();
  }

  private void readEveryRecordAsWritten(String group) throws Exception {
    // 4 MiB polls: every answer with records of both partitions is over 1 MiB, gathered into pooled arrays.
    GroupConsumer consumer = client.consumer(ConsumerOptions.of(group, List.of("greuse")).fetchMaxBytes(4 << 20)
        .enableAutoCommit(false));
    List<String> wrong = new ArrayList<>();
    CompletableFuture<Void> all = new CompletableFuture<>();
    Map<Integer, Long> next = new HashMap<>();
    int[] seen = {0};
    Flow.Subscription[] reading = new Flow.Subscription[1];
    Context context = ((ClientImpl) client).context();
    // A few records asked each millisecond (pacing, not waiting for anything): the hand-out of one answer is slower
    // than the next poll's arrival (two go ahead), so an array given back too early would be gathered into while read.
    consumer.records().subscribe().withSubscriber(new Flow.Subscriber<ConsumerRecord>() {
      private int taken;

      @Override
      public void onSubscribe(Flow.Subscription s) {
        reading[0] = s;
        s.request(STEP);
      }

      @Override
      public void onNext(ConsumerRecord r) {
        long expected = next.getOrDefault(r.partition(), 0L);
        next.put(r.partition(), r.offset() + 1);
        // a record of a later answer read in the place of this one's would be whole, but not the next
        if (r.offset() != expected
            || !ByteBuffer.wrap(r.value()).equals(ByteBuffer.wrap(value(r.partition(), r.offset())))) {
          wrong.add(r.partition() + "-" + r.offset());
        }
        if (++seen[0] == PARTITIONS * RECORDS_PER_PARTITION) {
          all.complete(null);
        }
        if (++taken % STEP == 0) {
          context.owner().setTimer(1, id -> reading[0].request(STEP));
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
    try {
      all.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      reading[0].cancel();
      consumer.close().await().atMost(WAIT);
    }
    assertThat(wrong).isEmpty();
  }
}
