package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetRange;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TxnMarker;
import io.sluice.api.ProducerIdentity;
import io.sluice.api.ProducerState;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.SluiceException;
import io.sluice.record.AbortedTransaction;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transaction markers across two brokers: written through one broker to partitions led by either (forwarded to the
 * other), replicated before they are answered, and a follower that takes over keeps the last stable offset and the
 * aborted transactions. Partition 0 is led by broker 1, partition 1 by broker 2, each followed by the other.
 */
@Tag("several-brokers")
class TransactionsClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);
  private static final long WAIT_MS = 60_000;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private Broker first;
  private Broker second;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Brokers 1 and 2, each seeing both live. */
  private void startTwo() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, 2_000)
        // Markers of transactions no coordinator knows: the partition side alone (KIP-890's check off).
        .set(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false).start(2);
    first = cluster.broker(1);
    second = cluster.broker(2);
  }

  private static ByteBuffer txn(long pid, int seq, String value) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(pid, (short) 0, seq).transactional()
        .append(1_000, null, value.getBytes(), null).build();
  }

  @Test
  void markersAreForwardedAndReplicatedAndANewLeaderKeepsTheStableOffsetAndTheAborts() throws Exception {
    startTwo();
    await(first.service().createTopic(CALLER, new NewTopic("t", 2, 2, Map.of("min.insync.replicas", "2"))));
    await(first.awaitMetadata(s -> s.topic("t").orElseThrow().states().get(1).isr().size() == 2, 30_000));
    assertThat(first.metadata().topic("t").orElseThrow().states().get(1).leader()).isEqualTo(2);

    retrying(() -> first.service().produce(CALLER, P0, txn(10, 0, "a0"), Acks.ALL));
    retrying(() -> first.service().produce(CALLER, P1, txn(10, 0, "a1"), Acks.ALL));
    assertThat(retrying(() -> first.service().offsets(CALLER, P1)).lastStableOffset()).isZero();

    // through broker 1: P1's marker is written by its leader, broker 2, and answered once replicated (acks=all)
    assertThat(retrying(() -> first.service().writeTxnMarkers(CALLER, new TxnMarker(10, (short) 0, 0, false,
        List.of(P0, P1))))).isEmpty();
    retrying(() -> first.service().produce(CALLER, P1, txn(20, 0, "ongoing"), Acks.ALL)); // offset 2
    OffsetRange p1 = retrying(() -> first.service().offsets(CALLER, P1));
    assertThat(p1.endOffset()).isEqualTo(3);
    assertThat(p1.lastStableOffset()).isEqualTo(2);
    assertThat(retrying(() -> first.service().offsets(CALLER, P0)).lastStableOffset()).isEqualTo(2);
    // a read_committed read forwarded from broker 1 to P1's leader carries the aborts back
    FetchResult forwarded = retrying(() -> first.service().fetch(CALLER, new FetchRequest(P1, 0, 1 << 20, 0, 0,
        true)));
    assertThat(forwarded.lastStableOffset()).isEqualTo(2);
    assertThat(forwarded.abortedTransactions()).containsExactly(new AbortedTransaction(10, 0, 1, 2));

    cluster.stop(2);
    await(first.awaitMetadata(s -> s.topic("t").orElseThrow().states().get(1).leader() == 1, 30_000));
    java.util.Set<AbortedTransaction> aborted = new java.util.HashSet<>();
    long next = 0;
    for (int reads = 0; reads < 3 && next < 2; reads++) { // a read ends at a segment's end: read on, as a reader
      long from = next;
      FetchResult read = retrying(() -> first.service().fetch(CALLER, new FetchRequest(P1, from, 1 << 20, 0, 0,
          true)));
      assertThat(read.lastStableOffset()).as("the new leader's LSO").isEqualTo(2);
      aborted.addAll(read.abortedTransactions());
      next = read.nextOffset();
    }
    assertThat(next).as("read_committed stops at the LSO").isEqualTo(2);
    assertThat(aborted).containsExactly(new AbortedTransaction(10, 0, 1, 2));
    FetchResult atStable = retrying(() -> first.service().fetch(CALLER, new FetchRequest(P1, 2, 1 << 20, 0, 0, true)));
    assertThat(atStable.sizeInBytes()).as("nothing past the LSO").isZero();
  }

  @Test
  void describeProducersAndAnOperatorsAbortReachTheLeaderOnAnotherBroker() throws Exception {
    startTwo();
    await(first.service().createTopic(CALLER, new NewTopic("t", 2, 2, Map.of())));
    await(first.awaitMetadata(s -> s.topic("t").orElseThrow().states().get(1).isr().size() == 2, 30_000));
    assertThat(first.metadata().topic("t").orElseThrow().states().get(1).leader()).isEqualTo(2);
    retrying(() -> first.service().produce(CALLER, P1, txn(30, 0, "hanging"), Acks.ALL));

    List<ProducerState> producers = retrying(() -> first.service().describeProducers(CALLER, P1));
    assertThat(producers).singleElement().satisfies(p -> {
      assertThat(p.producerId()).isEqualTo(30);
      assertThat(p.currentTransactionStartOffset()).isZero();
    });
    assertThat(retrying(() -> first.service().offsets(CALLER, P1)).lastStableOffset()).isZero();

    retrying(() -> first.service().abortTransaction(CALLER, P1, new ProducerIdentity(30, (short) 0), 0));

    assertThat(retrying(() -> first.service().offsets(CALLER, P1)).lastStableOffset()).isEqualTo(2);
    assertThat(retrying(() -> second.service().describeProducers(CALLER, P1))).singleElement()
        .satisfies(p -> assertThat(p.currentTransactionStartOffset()).isEqualTo(-1));
  }

  /** {@code call}'s answer, made again while it fails retriably (a leader moving), as a client would. */
  private static <T> T retrying(java.util.function.Supplier<Future<T>> call) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      try {
        return await(call.get());
      } catch (SluiceException e) {
        if (!e.errorCode().retriable() || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(10); // a client's back-off before it asks again, not synchronization
      }
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(90, TimeUnit.SECONDS);
  }
}
