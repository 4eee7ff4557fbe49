package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.TopicPartition;
import io.sluice.api.TransactionDescription;
import io.sluice.api.TransactionFilter;
import io.sluice.api.TxnMarker;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The transaction coordinator's state machine, durability and recovery, at its seams: the offsets topic is a list
 * of the records written, the markers a recording writer ({@code BrokerService.writeTxnMarkers} is the partitions'
 * side, another lane's).
 */
class TransactionCoordinatorTest {
  private static final TopicPartition A0 = new TopicPartition("a", 0);
  private static final TopicPartition B1 = new TopicPartition("b", 1);
  private static final long MAX_TIMEOUT_MS = 60_000;

  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();
  private final FakeHost host = new FakeHost();
  private TransactionCoordinator coordinator = new TransactionCoordinator(host, MAX_TIMEOUT_MS);

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aNewProducerOfTheIdFencesTheOldOneWithTheNextEpochOfTheSameProducerId() {
    ProducerIdentity first = on(() -> coordinator.init("t1", 10_000));
    ProducerIdentity second = on(() -> coordinator.init("t1", 10_000));

    assertThat(second.producerId()).isEqualTo(first.producerId());
    assertThat(second.producerEpoch()).isEqualTo((short) (first.producerEpoch() + 1));
    assertThat(code(() -> coordinator.addPartitions("t1", first, List.of(A0)))).isEqualTo(ErrorCode.PRODUCER_FENCED);
    assertThat(code(() -> coordinator.end("t1", first, true, false))).isEqualTo(ErrorCode.PRODUCER_FENCED);
    on(() -> coordinator.addPartitions("t1", second, List.of(A0)));
  }

  @Test
  void aCommitWritesACommitMarkerToEveryPartitionAddedAndAnswersOnceTheyAreWritten() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0)));
    on(() -> coordinator.addPartitions("t1", p, List.of(B1, A0)));
    assertThat(describe("t1").state()).isEqualTo("Ongoing");
    assertThat(describe("t1").partitions()).containsExactly(A0, B1);

    on(() -> coordinator.end("t1", p, true, false));

    assertThat(host.markers).hasSize(1);
    TxnMarker m = host.markers.get(0);
    assertThat(m.commit()).isTrue();
    assertThat(m.producerId()).isEqualTo(p.producerId());
    assertThat(m.producerEpoch()).isEqualTo(p.producerEpoch());
    assertThat(m.partitions()).containsExactlyInAnyOrder(A0, B1);
    assertThat(describe("t1").state()).isEqualTo("CompleteCommit");
    assertThat(describe("t1").partitions()).isEmpty();
    // A retried commit succeeds without writing again; an abort of the committed transaction is refused.
    on(() -> coordinator.end("t1", p, true, false));
    assertThat(host.markers).hasSize(1);
    assertThat(code(() -> coordinator.end("t1", p, false, false))).isEqualTo(ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts with the next AddPartitions.
    on(() -> coordinator.addPartitions("t1", p, List.of(B1)));
    on(() -> coordinator.end("t1", p, false, false));
    assertThat(host.markers.get(1).commit()).isFalse();
    assertThat(host.markers.get(1).partitions()).containsExactly(B1);
  }

  @Test
  void endingATransactionThatNeverBeganOrAnotherProducersIdIsRefused() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    assertThat(code(() -> coordinator.end("t1", p, true, false))).isEqualTo(ErrorCode.INVALID_TXN_STATE);
    assertThat(code(() -> coordinator.end("t1", new ProducerIdentity(p.producerId() + 1, (short) 0), true, false)))
        .isEqualTo(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assertThat(code(() -> coordinator.addPartitions("nope", p, List.of(A0))))
        .isEqualTo(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assertThat(code(() -> Future.succeededFuture(coordinator.describe("nope"))))
        .isEqualTo(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  }

  @Test
  void aTimeoutAboveTheBrokersMaximumIsRefused() {
    assertThat(code(() -> coordinator.init("t1", MAX_TIMEOUT_MS + 1))).isEqualTo(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assertThat(code(() -> coordinator.init("t1", 0))).isEqualTo(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assertThat(host.log).isEmpty();
  }

  @Test
  void initWhileATransactionIsOpenAbortsItWithAnEpochTheOldProducerDoesNotHave() {
    ProducerIdentity zombie = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", zombie, List.of(A0)));

    ProducerIdentity fresh = on(() -> coordinator.init("t1", 10_000));

    assertThat(host.markers).singleElement().satisfies(m -> {
      assertThat(m.commit()).isFalse();
      assertThat(m.partitions()).containsExactly(A0);
      assertThat(m.producerEpoch()).isGreaterThan(zombie.producerEpoch());
    });
    assertThat(fresh.producerEpoch()).isGreaterThan(host.markers.get(0).producerEpoch());
    assertThat(code(() -> coordinator.end("t1", zombie, true, false))).isEqualTo(ErrorCode.PRODUCER_FENCED);
    assertThat(describe("t1").state()).isEqualTo("Empty");
  }

  @Test
  void aTransactionOpenPastItsTimeoutIsAbortedAndItsProducerFenced() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 1_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0)));
    host.clock.addAndGet(999);
    assertThat(on(() -> coordinator.abortTimedOut())).isZero();
    host.clock.addAndGet(2);

    assertThat(on(() -> coordinator.abortTimedOut())).isEqualTo(1);
    awaitState("t1", "CompleteAbort");

    assertThat(host.markers).singleElement().satisfies(m -> assertThat(m.commit()).isFalse());
    assertThat(code(() -> coordinator.end("t1", p, true, false))).isEqualTo(ErrorCode.PRODUCER_FENCED);
  }

  @Test
  void markersThatFailAreWrittenAgainAndTheCommitAnswersOnlyThen() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0, B1)));
    host.markerAnswers.add(m -> Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "moved")));
    host.markerAnswers.add(m -> Future.succeededFuture(Map.of(B1, ErrorCode.NOT_ENOUGH_REPLICAS)));

    on(() -> coordinator.end("t1", p, true, false));

    assertThat(host.markers).hasSize(3);
    assertThat(host.markers.get(2).partitions()).containsExactly(B1);
    assertThat(describe("t1").state()).isEqualTo("CompleteCommit");
  }

  /**
   * Kafka's answers while PrepareCommit or PrepareAbort is written and its markers are not all in: a partition's
   * verification (a produce), an add or an init is asked to retry (CONCURRENT_TRANSACTIONS), an end of the other kind
   * is refused (INVALID_TXN_STATE); once the end is complete a verification's refusal is final.
   */
  @Test
  void whileAnEndIsWrittenProducesAddsAndInitsAreAskedToRetryAndAnEndOfTheOtherKindIsRefused() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    for (boolean commit : new boolean[] {true, false}) {
      on(() -> coordinator.addPartitions("t1", p, List.of(A0)));
      Promise<Map<TopicPartition, ErrorCode>> markersIn = Promise.promise();
      host.markerAnswers.add(m -> markersIn.future());
      Future<Void> end = onContext(() -> coordinator.end("t1", p, commit, false).<Void>mapEmpty());
      awaitState("t1", commit ? "PrepareCommit" : "PrepareAbort");

      assertThat(code(() -> coordinator.verify("t1", p, A0))).isEqualTo(ErrorCode.CONCURRENT_TRANSACTIONS);
      assertThat(code(() -> coordinator.addPartitions("t1", p, List.of(B1))))
          .isEqualTo(ErrorCode.CONCURRENT_TRANSACTIONS);
      assertThat(code(() -> coordinator.addOffsets("t1", p, "g1"))).isEqualTo(ErrorCode.CONCURRENT_TRANSACTIONS);
      assertThat(code(() -> coordinator.end("t1", p, !commit, false))).isEqualTo(ErrorCode.INVALID_TXN_STATE);
      assertThat(code(() -> coordinator.init("t1", 10_000))).isEqualTo(ErrorCode.CONCURRENT_TRANSACTIONS);

      on(() -> {
        markersIn.complete(Map.of());
        return end;
      });
      assertThat(describe("t1").state()).isEqualTo(commit ? "CompleteCommit" : "CompleteAbort");
      assertThat(code(() -> coordinator.verify("t1", p, A0))).isEqualTo(ErrorCode.INVALID_TXN_STATE);
    }
  }

  /**
   * A partition refuses the commit's marker as from an older coordinator epoch (TRANSACTION_COORDINATOR_FENCED): a
   * newer coordinator serves the id. This one stops: no marker is sent again, no CompleteCommit is written, it drops
   * the id's partition, and the EndTxn answers NOT_COORDINATOR, so the producer asks the new coordinator.
   */
  @Test
  void aMarkerRefusedAsFromAnOlderCoordinatorStopsTheEndAndUnloadsThePartition() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0, B1)));
    host.markerAnswers.add(m -> Future.succeededFuture(Map.of(B1, ErrorCode.TRANSACTION_COORDINATOR_FENCED)));

    assertThat(code(() -> coordinator.end("t1", p, true, false))).isEqualTo(ErrorCode.NOT_COORDINATOR);

    assertThat(host.fenced).containsExactly("t1");
    assertThat(host.markers).as("not retried").hasSize(1);
    assertThat(TxnMetadata.fromJson(host.log.get(host.log.size() - 1).value(), 0).state())
        .as("no CompleteCommit written").isEqualTo(TxnState.PREPARE_COMMIT);
    assertThat(code(() -> Future.succeededFuture(coordinator.describe("t1"))))
        .isEqualTo(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  }

  /**
   * Kafka's marker completion handler: a partition that refuses the marker's producer epoch will never take it, so it
   * is not sent again (counted requests) and the end completes; a retriable refusal is tried again.
   */
  @Test
  void aMarkerRefusedForItsProducerEpochIsNotSentAgainAndTheEndCompletes() {
    endAfterFirstMarkerAnswer(true, Set.of(), Map.of(A0, ErrorCode.INVALID_PRODUCER_EPOCH,
        B1, ErrorCode.NOT_LEADER_OR_FOLLOWER));

    assertThat(host.markers).hasSize(2);
    assertThat(host.markers.get(1).partitions()).as("only the retriable one again").containsExactly(B1);
    assertThat(describe("t1").state()).isEqualTo("CompleteCommit");
  }

  /**
   * UNKNOWN_TOPIC_OR_PARTITION is a leader's metadata lagging (retried) unless the coordinator's metadata has no such
   * topic either: deleted, it will never take the marker, which is given up.
   */
  @Test
  void aMarkerForADeletedTopicIsGivenUpAndOneForATopicStillKnownIsRetried() {
    endAfterFirstMarkerAnswer(false, Set.of(A0), Map.of(A0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        B1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));

    assertThat(host.markers).hasSize(2);
    assertThat(host.markers.get(1).partitions()).containsExactly(B1);
    assertThat(describe("t1").state()).isEqualTo("CompleteAbort");
  }

  /**
   * KIP-890 part 2: an end of transaction version 2 writes its markers with the next epoch and answers it; the old
   * epoch is fenced from then on (its retried end excepted, which gets the same answer), the group's offsets pending
   * from the old epoch are committed, and the next transaction runs in the new epoch.
   */
  @Test
  void anEndThatBumpsTheEpochWritesItInTheMarkersAndAnswersIt() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0)));
    on(() -> coordinator.addOffsets("t1", p, "g1"));

    ProducerIdentity next = on(() -> coordinator.end("t1", p, true, true));

    assertThat(next).isEqualTo(new ProducerIdentity(p.producerId(), (short) (p.producerEpoch() + 1)));
    assertThat(host.markers).singleElement().satisfies(m -> assertThat(m.producerEpoch()).isEqualTo(
        next.producerEpoch()));
    assertThat(host.completedBy).containsExactly(p);
    assertThat(describe("t1").producerEpoch()).isEqualTo(next.producerEpoch());
    assertThat(on(() -> coordinator.end("t1", p, true, true))).as("a retry").isEqualTo(next);
    assertThat(code(() -> coordinator.end("t1", p, false, true))).isEqualTo(ErrorCode.PRODUCER_FENCED);
    assertThat(code(() -> coordinator.addPartitions("t1", p, List.of(A0)))).isEqualTo(ErrorCode.PRODUCER_FENCED);

    on(() -> coordinator.addPartitions("t1", next, List.of(A0)));
    assertThat(code(() -> coordinator.end("t1", p, true, true))).as("a new transaction: no retry")
        .isEqualTo(ErrorCode.PRODUCER_FENCED);
    on(() -> coordinator.verify("t1", next, A0));
    assertThat(code(() -> coordinator.verify("t1", p, A0))).isEqualTo(ErrorCode.PRODUCER_FENCED);
  }

  /**
   * As Kafka's: the end at epoch Short.MAX_VALUE - 1 writes its markers at Short.MAX_VALUE and the next
   * transaction gets a new producer id at epoch 0; the state, read back by a new coordinator while the end is
   * prepared, completes the same way and answers the old producer's retry.
   */
  @Test
  void anEndAtTheLastEpochRollsOverToANewProducerIdAlsoWhenCompletedByTheNextCoordinator() {
    short last = Short.MAX_VALUE - 1;
    on(() -> {
      coordinator.apply(TransactionCoordinator.entry("t1", TxnMetadata.fresh(42, last, 10_000)));
      return Future.succeededFuture();
    });
    ProducerIdentity p = new ProducerIdentity(42, last);
    on(() -> coordinator.addPartitions("t1", p, List.of(A0)));
    host.markerAnswers.add(m -> Promise.<Map<TopicPartition, ErrorCode>>promise().future()); // its broker dies
    onContext(() -> coordinator.end("t1", p, true, true));
    awaitState("t1", "PrepareCommit");

    TransactionCoordinator next = reloaded();
    awaitState("t1", "CompleteCommit");

    assertThat(host.markers.get(host.markers.size() - 1)).satisfies(m -> {
      assertThat(m.producerId()).isEqualTo(42);
      assertThat(m.producerEpoch()).isEqualTo(Short.MAX_VALUE);
    });
    ProducerIdentity rolled = on(() -> next.end("t1", p, true, true));
    assertThat(rolled.producerId()).isNotEqualTo(42);
    assertThat(rolled.producerEpoch()).isZero();
    assertThat(describe("t1").producerId()).isEqualTo(rolled.producerId());
    on(() -> next.addPartitions("t1", rolled, List.of(A0)));
  }

  @Test
  void theStateIsReadBackAndAPreparedCommitFoundAtLoadIsCompletedByTheNewCoordinator() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0, B1)));
    // The coordinator's broker dies after writing PrepareCommit, before any marker is in.
    host.markerAnswers.add(m -> Promise.<Map<TopicPartition, ErrorCode>>promise().future());
    Future<Void> lost = onContext(() -> coordinator.end("t1", p, true, false).<Void>mapEmpty());
    awaitState("t1", "PrepareCommit");

    TransactionCoordinator next = new TransactionCoordinator(host, MAX_TIMEOUT_MS);
    on(() -> {
      List.copyOf(host.log).forEach(next::apply);
      next.partitionLoaded(id -> true);
      return Future.succeededFuture();
    });
    coordinator = next;
    awaitState("t1", "CompleteCommit");

    assertThat(host.markers.get(host.markers.size() - 1)).satisfies(m -> {
      assertThat(m.commit()).isTrue();
      assertThat(m.partitions()).containsExactlyInAnyOrder(A0, B1);
      assertThat(m.producerEpoch()).isEqualTo(p.producerEpoch());
    });
    assertThat(lost.isComplete()).isFalse();
    // The recovered coordinator fences and serves as the old one did.
    ProducerIdentity again = on(() -> next.init("t1", 10_000));
    assertThat(again.producerId()).isEqualTo(p.producerId());
    assertThat(again.producerEpoch()).isEqualTo((short) (p.producerEpoch() + 1));
  }

  @Test
  void offsetsSentInATransactionAreCompletedInTheirGroupsAfterTheMarkersAndBeforeTheCommitIsComplete() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addOffsets("t1", p, "g1"));
    assertThat(describe("t1").state()).isEqualTo("Ongoing"); // offsets alone open a transaction
    on(() -> coordinator.addPartitions("t1", p, List.of(A0)));
    on(() -> coordinator.addOffsets("t1", p, "g2"));
    // g2's coordinator is moving: its completion fails once and is retried before the commit answers
    host.completionAnswers.add(Future.succeededFuture());
    host.completionAnswers.add(Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "moving")));

    on(() -> coordinator.end("t1", p, true, false));

    assertThat(host.completions).hasSize(3).allMatch(c -> c.endsWith("/commit/after 1"))
        .contains("g1/" + p.producerId() + "/commit/after 1").contains("g2/" + p.producerId() + "/commit/after 1");
    assertThat(describe("t1").state()).isEqualTo("CompleteCommit");
    assertThat(code(() -> coordinator.addOffsets("t1", new ProducerIdentity(p.producerId(),
        (short) (p.producerEpoch() - 1)), "g1"))).isEqualTo(ErrorCode.PRODUCER_FENCED);
  }

  @Test
  void aPreparedAbortFoundAtLoadCompletesTheGroupsOffsetsToo() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addOffsets("t1", p, "g1"));
    host.completionAnswers.add(Promise.<Void>promise().future()); // the broker dies before the group answers
    onContext(() -> coordinator.end("t1", p, false, false));
    awaitState("t1", "PrepareAbort");

    TransactionCoordinator next = new TransactionCoordinator(host, MAX_TIMEOUT_MS);
    on(() -> {
      List.copyOf(host.log).forEach(next::apply);
      next.partitionLoaded(id -> true);
      return Future.succeededFuture();
    });
    coordinator = next;
    awaitState("t1", "CompleteAbort");

    assertThat(host.completions).containsExactly("g1/" + p.producerId() + "/abort/after 0",
        "g1/" + p.producerId() + "/abort/after 0");
  }

  @Test
  void aChangeIsAppliedOnlyOnceItsRecordIsWritten() {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    host.failWrites = true;
    assertThat(code(() -> coordinator.addPartitions("t1", p, List.of(A0)))).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS);
    host.failWrites = false;
    assertThat(describe("t1").state()).isEqualTo("Empty");
  }

  @Test
  void anIdIdleForTheExpirationIsRemovedWithATombstoneAndStartsAfreshAtTheNextInit() {
    coordinator = new TransactionCoordinator(host, MAX_TIMEOUT_MS, 5_000);
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0)));
    host.clock.addAndGet(6_000);
    assertThat(on(() -> coordinator.removeExpired())).as("an ongoing transaction keeps its id").isZero();
    on(() -> coordinator.end("t1", p, true, false));
    host.clock.addAndGet(4_999);
    assertThat(on(() -> coordinator.removeExpired())).isZero();
    host.clock.addAndGet(1);

    assertThat(on(() -> coordinator.removeExpired())).isEqualTo(1);

    OffsetsTopic.Entry last = host.log.get(host.log.size() - 1);
    assertThat(last.key().getString(1)).isEqualTo("t1");
    assertThat(last.value()).as("a tombstone").isNull();
    assertThat(code(() -> Future.succeededFuture(coordinator.describe("t1"))))
        .isEqualTo(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    assertThat(code(() -> coordinator.addPartitions("t1", p, List.of(A0))))
        .isEqualTo(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    TransactionCoordinator reloaded = new TransactionCoordinator(host, MAX_TIMEOUT_MS, 5_000);
    on(() -> {
      List.copyOf(host.log).forEach(reloaded::apply);
      return Future.succeededFuture();
    });
    assertThat(reloaded.list()).as("forgotten where the state is read back").isEmpty();
    ProducerIdentity again = on(() -> coordinator.init("t1", 10_000));
    assertThat(again.producerId()).isNotEqualTo(p.producerId());
    assertThat(again.producerEpoch()).isZero();
  }

  @Test
  void expirationCountsFromTheLastChangeReadBackByANewCoordinator() {
    coordinator = new TransactionCoordinator(host, MAX_TIMEOUT_MS, 5_000);
    on(() -> coordinator.init("t1", 10_000));
    host.clock.addAndGet(3_000);
    on(() -> coordinator.init("t2", 10_000));
    host.clock.addAndGet(2_000);
    TransactionCoordinator next = new TransactionCoordinator(host, MAX_TIMEOUT_MS, 5_000);
    on(() -> {
      List.copyOf(host.log).forEach(next::apply);
      return Future.succeededFuture();
    });
    coordinator = next;

    assertThat(on(() -> next.removeExpired())).isEqualTo(1);

    assertThat(next.list()).extracting(TransactionDescription::transactionalId).containsExactly("t2");
  }

  @Test
  void theListingKeepsOnlyTransactionsOpenAtLeastTheDurationAndTheStatesAndProducersAsked() {
    ProducerIdentity old = on(() -> coordinator.init("old", 60_000));
    on(() -> coordinator.addPartitions("old", old, List.of(A0)));
    host.clock.addAndGet(5_000);
    ProducerIdentity fresh = on(() -> coordinator.init("fresh", 60_000));
    on(() -> coordinator.addPartitions("fresh", fresh, List.of(B1)));
    on(() -> coordinator.init("idle", 60_000));
    host.clock.addAndGet(1_000);

    assertThat(ids(new TransactionFilter(Set.of(), Set.of(), 6_000))).containsExactly("old");
    assertThat(ids(new TransactionFilter(Set.of(), Set.of(), 1_000))).containsExactly("fresh", "old");
    assertThat(ids(new TransactionFilter(Set.of("Empty"), Set.of(), 0))).containsExactly("idle");
    assertThat(ids(new TransactionFilter(Set.of(), Set.of(fresh.producerId()), 0))).containsExactly("fresh");
    assertThat(ids(TransactionFilter.ALL)).containsExactly("fresh", "idle", "old");
  }

  private List<String> ids(TransactionFilter filter) {
    return on(() -> Future.succeededFuture(coordinator.list(filter))).stream()
        .map(TransactionDescription::transactionalId).toList();
  }

  private TransactionDescription describe(String id) {
    return on(() -> Future.succeededFuture(coordinator.describe(id)));
  }

  /** Polls the state on the context (the end's last steps run there after the answer); no sleeps. */
  private void awaitState(String id, String state) {
    org.awaitility.Awaitility.await("state " + state + " of " + id).atMost(java.time.Duration.ofSeconds(20))
        .until(() -> describe(id).state().equals(state));
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }

  private <T> T on(Supplier<Future<T>> action) {
    CompletableFuture<T> f = onContext(action).toCompletionStage().toCompletableFuture();
    try {
      return f.get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Opens t1's transaction over A0 and B1 and ends it, its first marker request answered {@code answer}, the
   * topics of {@code deleted} gone from the metadata once they were added.
   */
  private void endAfterFirstMarkerAnswer(boolean commit, Set<TopicPartition> deleted,
      Map<TopicPartition, ErrorCode> answer) {
    ProducerIdentity p = on(() -> coordinator.init("t1", 10_000));
    on(() -> coordinator.addPartitions("t1", p, List.of(A0, B1)));
    host.missing.addAll(deleted);
    host.markerAnswers.add(m -> Future.succeededFuture(answer));
    on(() -> coordinator.end("t1", p, commit, false));
  }

  /** A new coordinator that read the log back and loaded its partition, as after a move; it is the one tested now. */
  private TransactionCoordinator reloaded() {
    TransactionCoordinator next = new TransactionCoordinator(host, MAX_TIMEOUT_MS);
    on(() -> {
      List.copyOf(host.log).forEach(next::apply);
      next.partitionLoaded(id -> true);
      return Future.succeededFuture();
    });
    coordinator = next;
    return next;
  }

  private ErrorCode code(Supplier<Future<?>> action) {
    try {
      on(() -> action.get().mapEmpty());
    } catch (SluiceException e) {
      return e.errorCode();
    }
    throw new AssertionError("no failure");
  }

  /** The broker at the coordinator's seams: the log is a list, markers are recorded and answered as scripted. */
  private final class FakeHost implements TransactionCoordinator.Host {
    final AtomicLong clock = new AtomicLong(1_000_000);
    final List<OffsetsTopic.Entry> log = new ArrayList<>();
    final List<TxnMarker> markers = new ArrayList<>();
    final Deque<Function<TxnMarker, Future<Map<TopicPartition, ErrorCode>>>> markerAnswers = new ArrayDeque<>();
    volatile boolean failWrites;
    long nextProducerId = 1000;

    @Override
    public long nowMs() {
      return clock.get();
    }

    @Override
    public Vertx vertx() {
      return vertx;
    }

    @Override
    public int brokerId() {
      return 1;
    }

    @Override
    public Future<Void> write(String transactionalId, OffsetsTopic.Entry entry) {
      if (failWrites) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_ENOUGH_REPLICAS, "no ISR"));
      }
      log.add(entry);
      return Future.succeededFuture();
    }

    @Override
    public Future<ProducerIdentity> newProducerId() {
      return Future.succeededFuture(new ProducerIdentity(nextProducerId++, (short) 0));
    }

    @Override
    public Future<Map<TopicPartition, ErrorCode>> writeMarkers(TxnMarker marker) {
      markers.add(marker);
      var scripted = markerAnswers.poll();
      return scripted != null ? scripted.apply(marker) : Future.succeededFuture(Map.of());
    }

    @Override
    public int coordinatorEpoch(String transactionalId) {
      return 3;
    }

    /** The ids whose partition the coordinator was told to drop; dropped as the group coordinator does. */
    final List<String> fenced = new ArrayList<>();

    @Override
    public void fenced(String transactionalId) {
      fenced.add(transactionalId);
      coordinator.drop(id -> id.equals(transactionalId));
    }

    /** Partitions whose topic this broker's metadata no longer has. */
    final Set<TopicPartition> missing = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public Future<Void> requireExisting(Set<TopicPartition> partitions) {
      return partitions.stream().anyMatch(missing::contains) ? Future.failedFuture(new SluiceException(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "deleted")) : Future.succeededFuture();
    }

    /** Each group completion: group, producer, commit, and how many markers were written before it. */
    final List<String> completions = new ArrayList<>();
    /** The producer each group completion was for. */
    final List<ProducerIdentity> completedBy = new ArrayList<>();
    final Deque<Future<Void>> completionAnswers = new ArrayDeque<>();

    @Override
    public Future<Void> completeTxnOffsets(String groupId, ProducerIdentity producer, boolean commit) {
      completions.add(groupId + "/" + producer.producerId() + "/" + (commit ? "commit" : "abort") + "/after " + markers.size());
      completedBy.add(producer);
      Future<Void> scripted = completionAnswers.poll();
      return scripted != null ? scripted : Future.succeededFuture();
    }
  }
}
