package io.sluice.group;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.TopicPartition;
import io.sluice.api.TransactionDescription;
import io.sluice.api.TransactionFilter;
import io.sluice.api.TxnMarker;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Kafka's transaction coordinator (KIP-98) for the transactional ids whose {@link OffsetsTopic} partition this
 * broker's {@link GroupCoordinator} serves: the id's producer id and epoch, its state (Kafka's: Empty, Ongoing,
 * PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort), the partitions of its ongoing transaction and its
 * timeout. Every change is written to the id's offsets topic partition (key {@code ["txn", id]}, acks=all) before it is
 * applied, so a new coordinator reads the same state back ({@link #apply}) and completes an end it finds half done
 * ({@link #partitionLoaded}).
 *
 * <p>An end: PrepareCommit (or PrepareAbort) is written, then the markers ({@code BrokerService.writeTxnMarkers},
 * retried until every partition took its marker or refused it for good: they are idempotent), then CompleteCommit;
 * EndTxn answers then, with the bumped epoch if it asked for one (KIP-890 part 2). A
 * new {@link #init} of the id bumps the epoch, fencing the previous producer (PRODUCER_FENCED), after aborting its
 * open transaction; a transaction open past its timeout is aborted with a bumped epoch too, so its producer is fenced
 * rather than left writing into a transaction that no longer exists (as Kafka does).
 *
 * <p>Why {@code __consumer_offsets} and not Kafka's {@code __transaction_state}: Sluice's coordinator machinery
 * (following leadership of a compacted topic's partitions, the load marker, NOT_COORDINATOR, the routing and
 * forwarding of calls) is one piece built around that topic; a second topic would copy all of it for no gain in
 * durability. Kafka's TxnOffsetCommit markers go to that topic anyway.
 *
 * <p>Threads: the group coordinator's context only; changes of one id run one after another ({@link #serial}).
 */
final class TransactionCoordinator {
  private static final System.Logger LOG = System.getLogger(TransactionCoordinator.class.getName());
  static final long MARKER_RETRY_MIN_MS = 50;
  static final long MARKER_RETRY_MAX_MS = 2_000;
  /** An EndTxn waits this long for its markers, then fails CONCURRENT_TRANSACTIONS (the end goes on; retry joins it). */
  static final long END_WAIT_MS = 30_000;
  /** Kafka's {@code transactional.id.expiration.ms} default: 7 days. */
  static final long DEFAULT_ID_EXPIRATION_MS = 7L * 24 * 3600 * 1000;
  static final int DEFAULT_MAX_PARTITIONS = 1_000;

  /** What the coordinator needs of the broker, on the coordinator context. */
  interface Host {
    long nowMs();

    Vertx vertx();

    int brokerId();

    /** Writes {@code entry} to the offsets topic partition of {@code transactionalId}, acks=all. */
    Future<Void> write(String transactionalId, OffsetsTopic.Entry entry);

    Future<ProducerIdentity> newProducerId();

    Future<Map<TopicPartition, ErrorCode>> writeMarkers(TxnMarker marker);

    /** The leader epoch of the id's offsets topic partition as this coordinator loaded it (fences older markers). */
    int coordinatorEpoch(String transactionalId);

    /**
     * A partition refused a marker of the id as from an older coordinator epoch than it saw: a newer coordinator
     * serves the id's offsets topic partition; this one must drop it.
     */
    void fenced(String transactionalId);

    /** Fails UNKNOWN_TOPIC_OR_PARTITION unless every partition exists. */
    Future<Void> requireExisting(Set<TopicPartition> partitions);

    /** Completes the group's pending offsets of {@code producer} at its coordinator, wherever it is. */
    Future<Void> completeTxnOffsets(String groupId, ProducerIdentity producer, boolean commit);
  }

  private final Host host;
  private final long maxTimeoutMs;
  private final long idExpirationMs;
  private final int maxPartitions;
  private final Map<String, TxnMetadata> txns = new TreeMap<>();
  private final SerialByKey<String> queues = new SerialByKey<>();
  /** Per id, its end being written (PrepareCommit/PrepareAbort until the markers are in). */
  private final Map<String, Future<Void>> ending = new HashMap<>();

  TransactionCoordinator(Host host, long maxTimeoutMs) {
    this(host, maxTimeoutMs, DEFAULT_ID_EXPIRATION_MS);
  }

  /** {@code idExpirationMs}: Kafka's {@code transactional.id.expiration.ms}. */
  TransactionCoordinator(Host host, long maxTimeoutMs, long idExpirationMs) {
    this(host, maxTimeoutMs, idExpirationMs, DEFAULT_MAX_PARTITIONS);
  }

  /** {@code maxPartitions}: {@code transaction.max.partitions}, partitions and groups one transaction names. */
  TransactionCoordinator(Host host, long maxTimeoutMs, long idExpirationMs, int maxPartitions) {
    this.host = host;
    this.maxTimeoutMs = maxTimeoutMs;
    this.idExpirationMs = idExpirationMs;
    this.maxPartitions = maxPartitions;
  }

  /** Kafka's InitProducerId with a transactional id. */
  Future<ProducerIdentity> init(String id, long timeoutMs) {
    if (timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
      return Future.failedFuture(new SluiceException(ErrorCode.INVALID_TRANSACTION_TIMEOUT, "transaction_timeout_ms "
          + timeoutMs + " is not in [1, " + maxTimeoutMs + "] (transaction.max.timeout.ms)"));
    }
    return serial(id, () -> {
      TxnMetadata m = txns.get(id);
      if (m == null) {
        return host.newProducerId().compose(pid -> persist(id, TxnMetadata.fresh(pid.producerId(), (short) 0,
            timeoutMs))).map(TransactionCoordinator::identity);
      }
      if (m.state().preparing()) {
        return Future.failedFuture(concurrent(id, m));
      }
      if (m.state() == TxnState.ONGOING) {
        // The previous producer's transaction is aborted, with the epoch the new producer gets: it is fenced at once.
        return prepareEnd(id, m.withEpoch(bumped(m.producerEpoch())), false).map(x -> (ProducerIdentity) null);
      }
      return nextEpoch(m).compose(next -> persist(id, next.withTimeout(timeoutMs)))
          .map(TransactionCoordinator::identity);
    }).compose(identity -> identity != null ? Future.succeededFuture(identity)
        : awaitEnd(id).compose(v -> init(id, timeoutMs)));
  }

  /** The id's producer with the next epoch, or a new producer id at epoch 0 when the epoch would overflow. */
  private Future<TxnMetadata> nextEpoch(TxnMetadata m) {
    if (m.producerEpoch() < Short.MAX_VALUE - 1) {
      return Future.succeededFuture(new TxnMetadata(m.producerId(), (short) (m.producerEpoch() + 1), TxnState.EMPTY,
          m.timeoutMs(), -1, Set.of()));
    }
    return host.newProducerId().map(pid -> TxnMetadata.fresh(pid.producerId(), (short) 0, m.timeoutMs()));
  }

  private static short bumped(short epoch) {
    return epoch < Short.MAX_VALUE - 1 ? (short) (epoch + 1) : epoch;
  }

  /** Kafka's AddPartitionsToTxn. */
  Future<Void> addPartitions(String id, ProducerIdentity producer, List<TopicPartition> partitions) {
    Set<TopicPartition> asked = new HashSet<>(partitions);
    return host.requireExisting(asked).compose(v -> serial(id, () -> {
      TxnMetadata m = owned(id, producer);
      if (m.state().preparing()) {
        return Future.failedFuture(concurrent(id, m));
      }
      if (m.state() == TxnState.ONGOING && m.partitions().containsAll(asked)) {
        return Future.succeededFuture();
      }
      return persist(id, withinLimit(id, m.adding(asked, host.nowMs()))).mapEmpty();
    }));
  }

  /**
   * Kafka's AddPartitionsToTxn with verifyOnly (KIP-890), a partition leader's question before it appends the first
   * transactional batch of {@code producer} there: succeeds only while the id's transaction is Ongoing with {@code tp}
   * added. Reads the state as it is (no turn in the id's chain of changes): an add the producer waits for is
   * applied before it is answered. Fails CONCURRENT_TRANSACTIONS (retriable) while an end is being written, as
   * Kafka's coordinator answers it: the producer tries again once the end is complete, when the answer is final.
   * Fails INVALID_TXN_STATE otherwise (a late or stray batch), or as {@link #owned}.
   */
  Future<Void> verify(String id, ProducerIdentity producer, TopicPartition tp) {
    return verifyOngoing(id, producer, m -> m.partitions().contains(tp), () -> "Partition " + tp, "add the"
        + " partition before its first batch; a batch of an ended transaction is refused");
  }

  /**
   * Kafka's TxnOffsetCommit verification (KIP-890 part 1: AddPartitionsToTxn verifyOnly of the group's offsets topic
   * partition), the group coordinator's question before it writes {@code producer}'s offsets pending: succeeds only
   * while the id's transaction is Ongoing with group {@code groupId} added (AddOffsetsToTxn), so that its end
   * completes them. Fails as {@link #verify}: an offset commit sent after the end, or racing with it, is refused
   * rather than left pending where no end would ever complete it.
   */
  Future<Void> verifyOffsets(String id, ProducerIdentity producer, String groupId) {
    return verifyOngoing(id, producer, m -> m.groups().contains(groupId), () -> "The offsets of group '" + groupId
        + "'", "send AddOffsetsToTxn first; offsets of an ended transaction are refused");
  }

  /** The id's transaction is Ongoing and {@code includes} holds; fails as {@link #verify} says otherwise. */
  private Future<Void> verifyOngoing(String id, ProducerIdentity producer, Predicate<TxnMetadata> includes,
      Supplier<String> what, String hint) {
    try {
      TxnMetadata m = owned(id, producer);
      if (m.state().preparing()) {
        return Future.failedFuture(concurrent(id, m));
      }
      if (m.state() != TxnState.ONGOING || !includes.test(m)) {
        return Future.failedFuture(new SluiceException(ErrorCode.INVALID_TXN_STATE, what.get() + " is not part of"
            + " an ongoing transaction of transactional id '" + id + "' (its transaction is "
            + m.state().kafkaName() + "): " + hint));
      }
      return Future.succeededFuture();
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
  }

  /** Kafka's AddOffsetsToTxn: the group's pending offsets are completed by this transaction's end. */
  Future<Void> addOffsets(String id, ProducerIdentity producer, String groupId) {
    return serial(id, () -> {
      TxnMetadata m = owned(id, producer);
      if (m.state().preparing()) {
        return Future.failedFuture(concurrent(id, m));
      }
      if (m.state() == TxnState.ONGOING && m.groups().contains(groupId)) {
        return Future.succeededFuture();
      }
      return persist(id, withinLimit(id, m.addingGroup(groupId, host.nowMs()))).mapEmpty();
    });
  }

  /**
   * {@code next}, unless it names more than {@code transaction.max.partitions} partitions and groups: every add
   * rewrites the whole set, so a transaction over n partitions added one by one would write O(n^2) bytes. A group
   * counts as one, as Kafka's AddOffsetsToTxn adds the group's offsets topic partition.
   */
  private TxnMetadata withinLimit(String id, TxnMetadata next) {
    int named = next.partitions().size() + next.groups().size();
    if (named > maxPartitions) {
      throw new SluiceException(ErrorCode.TRANSACTION_PARTITION_LIMIT_EXCEEDED, "The transaction of transactional id '"
          + id + "' would name " + named + " partitions and groups; transaction.max.partitions is " + maxPartitions
          + ": nothing was added");
    }
    return next;
  }

  /**
   * Kafka's EndTxn: completes once every marker is written (or after {@link #END_WAIT_MS}, retriable). A commit of a
   * transaction past its timeout that the periodic check has not aborted yet aborts it as that check would, and is
   * refused PRODUCER_FENCED once the abort is written: the timeout's abort wins whichever comes first.
   *
   * <p>With {@code bumpEpoch} (KIP-890 part 2, Kafka's transaction version 2) the end bumps the producer's epoch:
   * its markers carry the new one, so a late write of the old epoch is refused at every partition of the
   * transaction instead of joining the next one. The answer is the producer the next transaction is written with:
   * the bumped epoch, or a new producer id at epoch 0 once the epoch ran out. A retry by the producer that wrote the
   * transaction (its old epoch) gets the same answer. Without {@code bumpEpoch} the answer is {@code producer}.
   */
  Future<ProducerIdentity> end(String id, ProducerIdentity producer, boolean commit, boolean bumpEpoch) {
    TxnState same = commit ? TxnState.PREPARE_COMMIT : TxnState.PREPARE_ABORT;
    TxnState done = commit ? TxnState.COMPLETE_COMMIT : TxnState.COMPLETE_ABORT;
    return serial(id, () -> {
      TxnMetadata found = txns.get(id);
      if (found != null && found.bump().wrote(producer) && (found.state() == same || found.state() == done)) {
        return Future.succeededFuture(found); // a retry of an end that bumped the epoch: it joins the end below
      }
      TxnMetadata m = owned(id, producer);
      if (commit && m.timedOut(host.nowMs())) {
        return prepareEnd(id, m.withEpoch(bumped(m.producerEpoch())), false).map(x -> (TxnMetadata) null);
      }
      if (m.state() == TxnState.ONGOING) {
        return (bumpEpoch ? bumpedForEnd(m) : Future.succeededFuture(m)).compose(b -> prepareEnd(id, b, commit));
      }
      if (m.state() == same || m.state() == done) {
        return Future.succeededFuture(m); // a retry: it joins the end below
      }
      return Future.<TxnMetadata>failedFuture(new SluiceException(ErrorCode.INVALID_TXN_STATE, "Cannot "
          + (commit ? "commit" : "abort") + " transactional id '" + id + "': its transaction is "
          + m.state().kafkaName() + (m.state() == TxnState.EMPTY ? " (no partition was added)" : "")));
    }).compose(ended -> awaitEnd(id).compose(v -> ended != null ? Future.succeededFuture(ended.afterEnd())
        : Future.failedFuture(new SluiceException(ErrorCode.PRODUCER_FENCED, "The transaction of transactional id '"
            + id + "' was open longer than its timeout: it was aborted, and producer " + producer.producerId()
            + " epoch " + producer.producerEpoch() + " is fenced"))));
  }

  /** {@code m} with the epoch its end's markers carry; a new producer id for afterwards if the epoch ran out. */
  private Future<TxnMetadata> bumpedForEnd(TxnMetadata m) {
    return m.epochExhausted() ? host.newProducerId().map(next -> m.bumpedForEnd(next.producerId()))
        : Future.succeededFuture(m.bumpedForEnd(-1));
  }

  private Future<Void> awaitEnd(String id) {
    Future<Void> running = ending.get(id);
    if (running == null) {
      // An end that stopped before this look (its coordinator fenced, the id dropped) must not read as done.
      return txns.containsKey(id) ? Future.succeededFuture() : Future.failedFuture(movedAway(id));
    }
    Promise<Void> answer = Promise.promise();
    long timer = host.vertx().setTimer(END_WAIT_MS, t -> answer.tryFail(new SluiceException(
        ErrorCode.CONCURRENT_TRANSACTIONS, "The end of transactional id '" + id + "' is still being written; retry")));
    running.onComplete(ar -> {
      host.vertx().cancelTimer(timer);
      if (ar.succeeded()) {
        answer.tryComplete();
      } else {
        answer.tryFail(ar.cause());
      }
    });
    return answer.future();
  }

  /** The id's state, checked to belong to {@code producer}: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED. */
  private TxnMetadata owned(String id, ProducerIdentity producer) {
    TxnMetadata m = txns.get(id);
    if (m == null || m.producerId() != producer.producerId()) {
      throw new SluiceException(ErrorCode.INVALID_PRODUCER_ID_MAPPING, "Producer id " + producer.producerId()
          + " is not transactional id '" + id + "''s" + (m == null ? " (unknown id: POST /producers first)" : ""));
    }
    if (producer.producerEpoch() != m.producerEpoch()) {
      throw new SluiceException(ErrorCode.PRODUCER_FENCED, "Producer " + producer.producerId() + " epoch "
          + producer.producerEpoch() + " of transactional id '" + id + "' is fenced: epoch " + m.producerEpoch()
          + " is current (a newer producer initialized the id, or the transaction timed out and was aborted)");
    }
    return m;
  }

  /** Writes PrepareCommit/PrepareAbort of {@code m} (Ongoing), then completes the end in the background. */
  private Future<TxnMetadata> prepareEnd(String id, TxnMetadata m, boolean commit) {
    TxnMetadata prepared = m.withState(commit ? TxnState.PREPARE_COMMIT : TxnState.PREPARE_ABORT);
    return persist(id, prepared).onSuccess(p -> startCompletion(id, p));
  }

  private void startCompletion(String id, TxnMetadata prepared) {
    Promise<Void> done = Promise.promise();
    ending.put(id, done.future());
    writeMarkers(id, prepared, prepared.partitions(), MARKER_RETRY_MIN_MS)
        .compose(v -> completeGroups(id, prepared, prepared.groups(), MARKER_RETRY_MIN_MS))
        .compose(v -> serial(id, () -> stillCurrent(id, prepared) ? persist(id, prepared.completed()).mapEmpty()
            : Future.failedFuture(movedAway(id))))
        .onComplete(ar -> {
          ending.remove(id, done.future());
          if (ar.failed()) {
            LOG.log(Level.INFO, "The end of transactional id '" + id + "' stopped here: " + ar.cause());
          }
          done.handle(ar.mapEmpty());
        });
  }

  /**
   * Writes the markers, again for the partitions that failed retriably, until all took theirs, were given up, or
   * this coordinator moved. As Kafka's TransactionMarkerRequestCompletionHandler: a partition that refuses the
   * marker's producer epoch (INVALID_PRODUCER_EPOCH: a newer epoch ended or fenced the transaction there) or whose
   * topic was deleted will never take it, so its part of the end is given up with a warning; a refusal from a newer
   * coordinator (TRANSACTION_COORDINATOR_FENCED) stops the end; anything else is tried again with backoff.
   */
  private Future<Void> writeMarkers(String id, TxnMetadata m, Set<TopicPartition> left, long backoffMs) {
    if (left.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!stillCurrent(id, m)) {
      return Future.failedFuture(movedAway(id));
    }
    TxnMarker marker = new TxnMarker(m.producerId(), m.producerEpoch(), host.coordinatorEpoch(id),
        m.state() == TxnState.PREPARE_COMMIT, List.copyOf(left));
    return host.writeMarkers(marker).transform(ar -> {
      if (ar.succeeded() && ar.result().containsValue(ErrorCode.TRANSACTION_COORDINATOR_FENCED)) {
        // Kafka's coordinator stops sending this transaction's markers then: the newer coordinator completes it.
        LOG.log(Level.WARNING, "Markers of transactional id '" + id + "' refused at coordinator epoch "
            + marker.coordinatorEpoch() + " by " + ar.result() + ": a newer coordinator serves it; stopping here");
        host.fenced(id);
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker " + host.brokerId()
            + " no longer coordinates transactional id '" + id + "': a partition saw markers of a newer coordinator"));
      }
      if (ar.failed()) {
        return retryMarkers(id, m, left, backoffMs, ar.cause().toString());
      }
      return withoutRefusedForGood(id, marker, ar.result()).compose(failed -> failed.isEmpty()
          ? Future.succeededFuture() : retryMarkers(id, m, failed.keySet(), backoffMs, failed.toString()));
    });
  }

  private Future<Void> retryMarkers(String id, TxnMetadata m, Set<TopicPartition> failed, long backoffMs,
      String why) {
    LOG.log(Level.DEBUG, "Markers of transactional id '" + id + "' not written to " + failed + " (retrying): " + why);
    Promise<Void> later = Promise.promise();
    host.vertx().setTimer(backoffMs, t -> writeMarkers(id, m, new HashSet<>(failed),
        Math.min(backoffMs * 2, MARKER_RETRY_MAX_MS)).onComplete(later));
    return later.future();
  }

  /**
   * The partitions of {@code failed} to try again: those refusing the marker's epoch, and those answering
   * UNKNOWN_TOPIC_OR_PARTITION whose topic this broker's metadata no longer has either (deleted, not a leader's
   * metadata lagging a creation), are given up with a warning naming the id, partition and error.
   */
  private Future<Map<TopicPartition, ErrorCode>> withoutRefusedForGood(String id, TxnMarker marker,
      Map<TopicPartition, ErrorCode> failed) {
    Map<TopicPartition, ErrorCode> retry = new HashMap<>();
    List<Future<Void>> checks = new ArrayList<>();
    failed.forEach((tp, code) -> {
      if (code == ErrorCode.INVALID_PRODUCER_EPOCH) {
        givenUp(id, marker, tp, code, "the partition has a newer epoch of the producer");
      } else if (code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        checks.add(host.requireExisting(Set.of(tp)).transform(exists -> {
          if (exists.succeeded()) {
            retry.put(tp, code);
          } else {
            givenUp(id, marker, tp, code, "its topic no longer exists");
          }
          return Future.<Void>succeededFuture();
        }));
      } else {
        retry.put(tp, code);
      }
    });
    return Future.join(checks).transform(ar -> Future.succeededFuture(retry));
  }

  private static void givenUp(String id, TxnMarker marker, TopicPartition tp, ErrorCode code, String why) {
    LOG.log(Level.WARNING, "The " + (marker.commit() ? "COMMIT" : "ABORT") + " marker of transactional id '" + id
        + "' (producer " + marker.producerId() + " epoch " + marker.producerEpoch() + ") to " + tp + " was refused "
        + code + " (" + code.code() + "): " + why + ", so it will never take it; not sent again");
  }

  /**
   * After the markers, before the end is complete: the groups' pending offsets become commits (or go), again for the
   * groups that failed, so a coordinator that finds the end prepared at load completes them too (it is idempotent).
   */
  private Future<Void> completeGroups(String id, TxnMetadata m, Set<String> left, long backoffMs) {
    if (left.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!stillCurrent(id, m)) {
      return Future.failedFuture(movedAway(id));
    }
    boolean commit = m.state() == TxnState.PREPARE_COMMIT;
    Map<String, Future<Void>> calls = new TreeMap<>();
    // The offsets pending are the writer's: an end that bumped the epoch completes those of the epoch before.
    left.forEach(g -> calls.put(g, host.completeTxnOffsets(g, m.writer(), commit)));
    return Future.join(new ArrayList<>(calls.values())).transform(ar -> {
      Set<String> failed = new HashSet<>();
      calls.forEach((g, f) -> {
        if (f.failed()) {
          failed.add(g);
        }
      });
      if (failed.isEmpty()) {
        return Future.succeededFuture();
      }
      LOG.log(Level.DEBUG, "Offsets of transactional id '" + id + "' not completed in groups " + failed
          + " (retrying)");
      Promise<Void> later = Promise.promise();
      host.vertx().setTimer(backoffMs, t -> completeGroups(id, m, failed,
          Math.min(backoffMs * 2, MARKER_RETRY_MAX_MS)).onComplete(later));
      return later.future();
    });
  }

  private boolean stillCurrent(String id, TxnMetadata m) {
    return txns.get(id) == m;
  }

  private SluiceException movedAway(String id) {
    return new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker " + host.brokerId() + " no longer coordinates"
        + " transactional id '" + id + "'");
  }

  /** Every {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}: aborts the transactions past timeout. */
  Future<Integer> abortTimedOut() {
    long now = host.nowMs();
    List<Future<Void>> aborts = new ArrayList<>();
    new ArrayList<>(txns.keySet()).forEach(id -> {
      if (txns.get(id).timedOut(now)) {
        aborts.add(serial(id, () -> {
          TxnMetadata m = txns.get(id);
          if (m == null || !m.timedOut(host.nowMs())) {
            return Future.succeededFuture();
          }
          LOG.log(Level.INFO, "Aborting the transaction of '" + id + "': open for more than " + m.timeoutMs() + " ms");
          return prepareEnd(id, m.withEpoch(bumped(m.producerEpoch())), false).<Void>mapEmpty();
        }));
      }
    });
    return aborts.isEmpty() ? Future.succeededFuture(0)
        : Future.join(aborts).transform(ar -> Future.succeededFuture(aborts.size()));
  }

  /**
   * Every {@code transaction.remove.expired.transaction.cleanup.interval.ms}: forgets the ids with no transaction and
   * no change for {@code transactional.id.expiration.ms} (Kafka's), writing a tombstone first, so their producer ids
   * are forgotten everywhere the state is read back; a later {@link #init} of the id starts afresh.
   *
   * @return how many ids were removed
   */
  Future<Integer> removeExpired() {
    List<Future<Boolean>> removals = new ArrayList<>();
    new ArrayList<>(txns.keySet()).forEach(id -> {
      if (txns.get(id).expired(host.nowMs(), idExpirationMs)) {
        removals.add(serial(id, () -> {
          TxnMetadata m = txns.get(id);
          if (m == null || !m.expired(host.nowMs(), idExpirationMs) || ending.containsKey(id)) {
            return Future.succeededFuture(false);
          }
          LOG.log(Level.INFO, "Removing transactional id '" + id + "' (producer id " + m.producerId() + "): no"
              + " transaction for " + idExpirationMs + " ms (transactional.id.expiration.ms)");
          return host.write(id, entry(id, null)).map(v -> txns.remove(id, m));
        }));
      }
    });
    return removals.isEmpty() ? Future.succeededFuture(0) : Future.join(removals).transform(ar -> Future
        .succeededFuture((int) removals.stream().filter(f -> f.succeeded() && f.result()).count()));
  }

  /** Writes then applies {@code next} as the id's state, stamped with the time it was written. */
  private Future<TxnMetadata> persist(String id, TxnMetadata next) {
    TxnMetadata written = next.writtenAt(host.nowMs());
    return host.write(id, entry(id, written)).map(v -> {
      txns.put(id, written);
      return written;
    });
  }

  static OffsetsTopic.Entry entry(String id, TxnMetadata m) {
    return new OffsetsTopic.Entry(new JsonArray().add("txn").add(id), m == null ? null : m.toJson());
  }

  /** Runs the changes of one id one after another: each sees the state the previous wrote. */
  private <T> Future<T> serial(String id, Supplier<Future<T>> change) {
    return queues.run(id, change);
  }

  /** A record of the offsets topic under {@code ["txn", id]}, read back at load. */
  void apply(OffsetsTopic.Entry e) {
    String id = e.key().getString(1);
    if (e.value() == null) {
      txns.remove(id);
    } else {
      txns.put(id, TxnMetadata.fromJson(e.value(), host.nowMs()));
    }
  }

  /** After a load: completes the ends found prepared (their markers written again; they are idempotent). */
  void partitionLoaded(Predicate<String> inPartition) {
    txns.forEach((id, m) -> {
      // An end still running from before a drop stops by itself: its metadata is no longer the current one.
      if (inPartition.test(id) && m.state().preparing()) {
        LOG.log(Level.INFO, "Completing the " + m.state().kafkaName() + " of transactional id '" + id + "' found at"
            + " load");
        startCompletion(id, m);
      }
    });
  }

  /** Leadership moved away: forgets the ids of the partition (their ends in flight stop at their next step). */
  void drop(Predicate<String> inPartition) {
    txns.keySet().removeIf(inPartition);
  }

  TransactionDescription describe(String id) {
    TxnMetadata m = txns.get(id);
    if (m == null) {
      throw new SluiceException(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, "No transactional id '" + id + "'");
    }
    return description(id, m);
  }

  List<TransactionDescription> list() {
    return list(TransactionFilter.ALL);
  }

  /** The ids that pass {@code filter}, by id. */
  List<TransactionDescription> list(TransactionFilter filter) {
    long now = host.nowMs();
    List<TransactionDescription> all = new ArrayList<>();
    txns.forEach((id, m) -> {
      if (filter.accepts(m.state().kafkaName(), m.producerId(), m.startMs(), !m.state().idle(), now)) {
        all.add(description(id, m));
      }
    });
    return all;
  }

  private TransactionDescription description(String id, TxnMetadata m) {
    return new TransactionDescription(id, host.brokerId(), m.state().kafkaName(), m.producerId(), m.producerEpoch(),
        m.timeoutMs(), m.startMs(), m.sortedPartitions());
  }

  private static ProducerIdentity identity(TxnMetadata m) {
    return new ProducerIdentity(m.producerId(), m.producerEpoch());
  }

  private static SluiceException concurrent(String id, TxnMetadata m) {
    return new SluiceException(ErrorCode.CONCURRENT_TRANSACTIONS, "Transactional id '" + id + "' is in "
        + m.state().kafkaName() + ": its markers are being written; retry");
  }
}
