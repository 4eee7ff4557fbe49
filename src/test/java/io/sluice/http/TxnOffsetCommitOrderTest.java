package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetCommit;
import io.sluice.api.ProducerIdentity;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TxnMarker;
import io.sluice.api.TxnOffsets;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.GroupConfig;
import io.sluice.group.GroupCoordinator;
import io.sluice.group.LocalTransactionService;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TxnOffsetCommit against its transaction's end, in each window (KIP-890 part 1, as Kafka orders them through the
 * offsets topic partition's log): before the end it is completed with the transaction; while the end is written it
 * is refused CONCURRENT_TRANSACTIONS; after it INVALID_TXN_STATE; from a fenced producer INVALID_PRODUCER_EPOCH. In
 * no window are offsets left pending that no end completes (they held every require_stable fetch of the group). The
 * end is held at its markers, the offset commit at its verification: seams, no sleeps.
 */
class TxnOffsetCommitOrderTest {
  private static final long WAIT_MS = 30_000;
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final String GROUP = "g";
  private static final TopicPartition OUT = new TopicPartition("out", 0);
  private static final TopicPartition IN = new TopicPartition("in", 0);

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private HeldMarkers broker;
  private GroupCoordinator coordinator;
  private LocalTransactionService transactions;

  @BeforeEach
  void start() throws Exception {
    InMemoryBroker memory = new InMemoryBroker(vertx, dir);
    await(memory.createTopic(CALLER, new NewTopic("out", 1, 1, Map.of())));
    await(memory.createTopic(CALLER, new NewTopic("in", 1, 1, Map.of())));
    broker = new HeldMarkers(memory);
    coordinator = new GroupCoordinator(vertx, broker, GroupConfig.defaults(), System::currentTimeMillis);
    transactions = new LocalTransactionService(coordinator);
    await(coordinator.start());
  }

  @AfterEach
  void close() throws Exception {
    broker.release.tryComplete();
    coordinator.close().await(WAIT_MS, TimeUnit.MILLISECONDS);
    vertx.close().await(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  @Test
  void offsetsSentAfterTheEndAreRefusedAndNeverPending() throws Exception {
    ProducerIdentity p = openWithGroup("t");
    await(send("t", p, 5));
    await(transactions.endTransaction(CALLER, "t", p, true, false).<Void>mapEmpty());

    assertThat(code(send("t", p, 9))).isEqualTo(ErrorCode.INVALID_TXN_STATE);

    assertThat(unstable()).isEmpty();
    assertThat(committed()).isEqualTo(5);
  }

  @Test
  void offsetsSentWhileTheEndIsWrittenAreRefusedRetriably() throws Exception {
    ProducerIdentity p = openWithGroup("t");
    await(send("t", p, 5));
    broker.hold();
    Future<Void> end = transactions.endTransaction(CALLER, "t", p, true, false).<Void>mapEmpty();
    await(broker.held.future());

    Future<Void> racing = send("t", p, 9);

    assertThat(code(racing)).isEqualTo(ErrorCode.CONCURRENT_TRANSACTIONS);
    assertThat(ErrorCode.CONCURRENT_TRANSACTIONS.retriable()).isTrue();
    broker.release.complete();
    await(end);
    assertThat(unstable()).isEmpty();
    assertThat(committed()).isEqualTo(5);
  }

  @Test
  void aFencedProducersOffsetsAreRefusedInvalidProducerEpoch() throws Exception {
    ProducerIdentity zombie = openWithGroup("t");
    ProducerIdentity current = await(transactions.initTransactions(CALLER, "t", 60_000)); // aborts the zombie's

    assertThat(code(send("t", zombie, 3))).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);

    assertThat(unstable()).isEmpty();
    assertThat(current.producerEpoch()).isGreaterThan(zombie.producerEpoch());
  }

  @Test
  void offsetsOfAGroupTheTransactionDidNotAddAreRefused() throws Exception {
    ProducerIdentity p = await(transactions.initTransactions(CALLER, "t", 60_000));
    await(transactions.addPartitions(CALLER, "t", p, List.of(OUT)));

    assertThat(code(send("t", p, 3))).isEqualTo(ErrorCode.INVALID_TXN_STATE);
    await(transactions.addOffsetsToTxn(CALLER, "t", p, "other"));
    assertThat(code(send("t", p, 3))).isEqualTo(ErrorCode.INVALID_TXN_STATE);

    assertThat(unstable()).isEmpty();
  }

  /**
   * The offset commit was verified while the transaction was Ongoing; its write comes after the end began: the end
   * completes the group after it, so the offsets are committed with the transaction rather than left pending.
   */
  @Test
  void offsetsVerifiedBeforeTheEndAreCompletedByItEvenIfWrittenAfterItBegan() throws Exception {
    Promise<Void> verified = Promise.promise();
    Promise<Void> answer = Promise.promise();
    Promise<Void> completionAsked = Promise.promise();
    coordinator.txnOffsetsVerifier((id, producer, group) -> coordinator.run(id, () -> transactions
        .verifyOffsets(CALLER, id, producer, group).onComplete(ar -> verified.tryComplete())
        .compose(v -> answer.future())));
    coordinator.txnOffsetsCompleter((group, producer, commit) -> {
      completionAsked.tryComplete();
      return transactions.completeTxnOffsets(CALLER, group, producer, commit);
    });
    ProducerIdentity p = openWithGroup("t");
    Future<Void> sent = send("t", p, 7);
    await(verified.future());

    Future<Void> end = transactions.endTransaction(CALLER, "t", p, true, false).<Void>mapEmpty();
    await(completionAsked.future());
    assertThat(end.isComplete()).as("the end waits for the offset commit verified before it").isFalse();
    answer.complete();

    await(sent);
    await(end);
    assertThat(unstable()).isEmpty();
    assertThat(committed()).isEqualTo(7);
  }

  private ProducerIdentity openWithGroup(String id) throws Exception {
    ProducerIdentity p = await(transactions.initTransactions(CALLER, id, 60_000));
    await(transactions.addPartitions(CALLER, id, p, List.of(OUT)));
    await(transactions.addOffsetsToTxn(CALLER, id, p, GROUP));
    return p;
  }

  private Future<Void> send(String id, ProducerIdentity p, long nextOffset) {
    return transactions.txnOffsetCommit(CALLER, id, p, new TxnOffsets(GROUP, null, -1,
        Map.of(IN, new OffsetCommit(nextOffset, ""))));
  }

  private Set<TopicPartition> unstable() throws Exception {
    return await(coordinator.run(() -> Future.succeededFuture(coordinator.unstable(GROUP, null))));
  }

  /** The group's committed next offset of {@link #IN}, or -1. */
  private long committed() throws Exception {
    return await(coordinator.run(() -> Future.succeededFuture(coordinator.committed(GROUP)))).entrySet().stream()
        .filter(e -> e.getKey().equals(IN)).mapToLong(e -> e.getValue().offset()).findFirst().orElse(-1);
  }

  private static ErrorCode code(Future<?> f) throws Exception {
    Throwable t = f.transform(ar -> Future.succeededFuture(ar.cause())).await(WAIT_MS, TimeUnit.MILLISECONDS);
    assertThat(t).isInstanceOf(SluiceException.class);
    return ((SluiceException) t).errorCode();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  /** Writes every transaction marker at once, or holds them from {@link #hold} until {@link #release}. */
  private static final class HeldMarkers extends DelegatingBrokerService {
    final Promise<Void> held = Promise.promise();
    final Promise<Void> release = Promise.promise();
    private volatile boolean holding;

    HeldMarkers(InMemoryBroker delegate) {
      super(delegate);
    }

    void hold() {
      holding = true;
    }

    @Override
    public Future<Map<TopicPartition, ErrorCode>> writeTxnMarkers(RequestContext caller, TxnMarker marker) {
      if (!holding) {
        return Future.succeededFuture(Map.of());
      }
      held.tryComplete();
      return release.future().map(v -> Map.of());
    }
  }
}
