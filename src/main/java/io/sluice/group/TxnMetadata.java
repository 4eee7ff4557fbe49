package io.sluice.group;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the transaction coordinator keeps of one transactional id, as written to {@link OffsetsTopic} under key
 * {@code ["txn", id]} (Kafka's {@code __transaction_state} value): immutable, each change is a new record written
 * before it is applied.
 *
 * @param startMs when the ongoing transaction added its first partition (its timeout runs from there); -1 if none
 * @param groups the groups whose offsets the ongoing transaction sent (Kafka's AddOffsetsToTxn): its end completes them
 * @param lastUpdateMs the coordinator's clock when this state was written (Kafka's txnLastUpdateTimestamp): an idle id
 *     expires {@code transactional.id.expiration.ms} after it; -1 until written
 * @param bump set by an end that bumped the epoch (KIP-890 part 2), from its PrepareCommit/PrepareAbort until the
 *     next transaction starts; {@link EndBump#NONE} otherwise
 */
record TxnMetadata(long producerId, short producerEpoch, TxnState state, long timeoutMs, long startMs,
    Set<TopicPartition> partitions, Set<String> groups, long lastUpdateMs, EndBump bump) {

  /**
   * What an end that bumped the epoch keeps (Kafka's lastProducerEpoch, previousProducerId and nextProducerId): the
   * producer that wrote the transaction, so that its retried EndTxn is answered rather than fenced and its pending
   * offsets are completed, and, while the end is prepared, the producer id the next transaction gets once the
   * epoch ran out (-1 if it did not).
   */
  record EndBump(long producerId, short producerEpoch, long nextProducerId) {
    static final EndBump NONE = new EndBump(-1, (short) -1, -1);

    boolean present() {
      return producerId >= 0;
    }

    boolean wrote(ProducerIdentity p) {
      return present() && p.producerId() == producerId && p.producerEpoch() == producerEpoch;
    }
  }

  TxnMetadata {
    partitions = Set.copyOf(partitions);
    groups = Set.copyOf(groups);
  }

  TxnMetadata(long producerId, short producerEpoch, TxnState state, long timeoutMs, long startMs,
      Set<TopicPartition> partitions, Set<String> groups, long lastUpdateMs) {
    this(producerId, producerEpoch, state, timeoutMs, startMs, partitions, groups, lastUpdateMs, EndBump.NONE);
  }

  TxnMetadata(long producerId, short producerEpoch, TxnState state, long timeoutMs, long startMs,
      Set<TopicPartition> partitions, Set<String> groups) {
    this(producerId, producerEpoch, state, timeoutMs, startMs, partitions, groups, -1);
  }

  TxnMetadata(long producerId, short producerEpoch, TxnState state, long timeoutMs, long startMs,
      Set<TopicPartition> partitions) {
    this(producerId, producerEpoch, state, timeoutMs, startMs, partitions, Set.of());
  }

  /** This state as written at {@code nowMs}. */
  TxnMetadata writtenAt(long nowMs) {
    return new TxnMetadata(producerId, producerEpoch, state, timeoutMs, startMs, partitions, groups, nowMs, bump);
  }

  /**
   * Whether the id may be forgotten (Kafka's transactional id expiration): no transaction open or ending, and no
   * change for {@code expirationMs}.
   */
  boolean expired(long nowMs, long expirationMs) {
    return state.idle() && lastUpdateMs >= 0 && nowMs - lastUpdateMs >= expirationMs;
  }

  static TxnMetadata fresh(long producerId, short epoch, long timeoutMs) {
    return new TxnMetadata(producerId, epoch, TxnState.EMPTY, timeoutMs, -1, Set.of());
  }

  TxnMetadata withState(TxnState s) {
    return new TxnMetadata(producerId, producerEpoch, s, timeoutMs, startMs, partitions, groups, -1, bump);
  }

  /**
   * This Ongoing transaction with the epoch bumped for its end (KIP-890 part 2): its markers carry the new epoch, so
   * a late write of the old one is refused at every partition. An epoch that cannot grow past the marker's
   * ({@code Short.MAX_VALUE}) moves to {@code nextProducerId} at epoch 0 once the end is complete, as Kafka's.
   */
  TxnMetadata bumpedForEnd(long nextProducerId) {
    return new TxnMetadata(producerId, (short) Math.min(producerEpoch + 1, Short.MAX_VALUE), state, timeoutMs, startMs, partitions, groups,
        -1, new EndBump(producerId, producerEpoch, nextProducerId));
  }

  /** Whether an end's bump would leave no epoch for the next transaction: it moves to a new producer id. */
  boolean epochExhausted() {
    return producerEpoch >= Short.MAX_VALUE - 1;
  }

  /** The producer of the transaction this state holds or ended last: the one that wrote its batches and offsets. */
  ProducerIdentity writer() {
    return bump.present() ? new ProducerIdentity(bump.producerId(), bump.producerEpoch())
        : new ProducerIdentity(producerId, producerEpoch);
  }

  /** The producer the id's next transaction is written with once this end is complete. */
  ProducerIdentity afterEnd() {
    return bump.nextProducerId() >= 0 ? new ProducerIdentity(bump.nextProducerId(), (short) 0)
        : new ProducerIdentity(producerId, producerEpoch);
  }

  TxnMetadata withTimeout(long ms) {
    return new TxnMetadata(producerId, producerEpoch, state, ms, startMs, partitions, groups);
  }

  TxnMetadata withEpoch(short epoch) {
    return new TxnMetadata(producerId, epoch, state, timeoutMs, startMs, partitions, groups);
  }

  /** Ongoing with {@code more} added; a transaction that was not open starts now, with no partition before. */
  TxnMetadata adding(Collection<TopicPartition> more, long nowMs) {
    boolean starting = state != TxnState.ONGOING;
    Set<TopicPartition> all = new HashSet<>();
    if (!starting) {
      all.addAll(partitions);
    }
    all.addAll(more);
    return new TxnMetadata(producerId, producerEpoch, TxnState.ONGOING, timeoutMs, starting ? nowMs : startMs, all,
        starting ? Set.of() : groups);
  }

  /** Ongoing with group {@code group} added (Kafka's AddOffsetsToTxn); starts a transaction that was not open. */
  TxnMetadata addingGroup(String group, long nowMs) {
    boolean starting = state != TxnState.ONGOING;
    Set<String> all = new HashSet<>(starting ? Set.of() : groups);
    all.add(group);
    return new TxnMetadata(producerId, producerEpoch, TxnState.ONGOING, timeoutMs, starting ? nowMs : startMs,
        starting ? Set.of() : partitions, all);
  }

  /** The end of the transaction written: no partitions left open; the producer of {@link #afterEnd}. */
  TxnMetadata completed() {
    TxnState done = state == TxnState.PREPARE_COMMIT ? TxnState.COMPLETE_COMMIT : TxnState.COMPLETE_ABORT;
    ProducerIdentity next = afterEnd();
    EndBump kept = bump.present() ? new EndBump(bump.producerId(), bump.producerEpoch(), -1) : bump;
    return new TxnMetadata(next.producerId(), next.producerEpoch(), done, timeoutMs, startMs, Set.of(), Set.of(), -1,
        kept);
  }

  List<TopicPartition> sortedPartitions() {
    return partitions.stream().sorted(Comparator.comparing(TopicPartition::topic)
        .thenComparingInt(TopicPartition::partition)).toList();
  }

  boolean timedOut(long nowMs) {
    return state == TxnState.ONGOING && startMs >= 0 && nowMs - startMs > timeoutMs;
  }

  JsonObject toJson() {
    JsonArray parts = new JsonArray();
    sortedPartitions().forEach(tp -> parts.add(new JsonArray().add(tp.topic()).add(tp.partition())));
    JsonObject o = new JsonObject().put("producer_id", producerId).put("producer_epoch", producerEpoch)
        .put("state", state.kafkaName()).put("timeout_ms", timeoutMs).put("start_ms", startMs)
        .put("partitions", parts).put("groups", new JsonArray(groups.stream().sorted().toList()))
        .put("last_update_ms", lastUpdateMs);
    if (bump.present()) {
      o.put("end_bump", new JsonObject().put("producer_id", bump.producerId())
          .put("producer_epoch", bump.producerEpoch()).put("next_producer_id", bump.nextProducerId()));
    }
    return o;
  }

  /** A state read back; one written before {@code last_update_ms} existed counts as written at {@code loadedMs}. */
  static TxnMetadata fromJson(JsonObject o, long loadedMs) {
    Set<TopicPartition> parts = new HashSet<>();
    o.getJsonArray("partitions", new JsonArray()).forEach(e -> {
      JsonArray a = (JsonArray) e;
      parts.add(new TopicPartition(a.getString(0), a.getInteger(1)));
    });
    Set<String> groups = new HashSet<>();
    o.getJsonArray("groups", new JsonArray()).forEach(g -> groups.add((String) g));
    JsonObject b = o.getJsonObject("end_bump");
    EndBump bump = b == null ? EndBump.NONE : new EndBump(b.getLong("producer_id"),
        b.getInteger("producer_epoch").shortValue(), b.getLong("next_producer_id", -1L));
    return new TxnMetadata(o.getLong("producer_id"), o.getInteger("producer_epoch").shortValue(),
        TxnState.ofKafkaName(o.getString("state")), o.getLong("timeout_ms"), o.getLong("start_ms", -1L), parts,
        groups, o.getLong("last_update_ms", loadedMs), bump);
  }
}
