package io.sluice.group;

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
 */
record TxnMetadata(long producerId, short producerEpoch, TxnState state, long timeoutMs, long startMs,
    Set<TopicPartition> partitions, Set<String> groups, long lastUpdateMs) {

  TxnMetadata {
    partitions = Set.copyOf(partitions);
    groups = Set.copyOf(groups);
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
    return new TxnMetadata(producerId, producerEpoch, state, timeoutMs, startMs, partitions, groups, nowMs);
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
    return new TxnMetadata(producerId, producerEpoch, s, timeoutMs, startMs, partitions, groups);
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

  /** The end of the transaction written: no partitions left open. */
  TxnMetadata completed() {
    TxnState done = state == TxnState.PREPARE_COMMIT ? TxnState.COMPLETE_COMMIT : TxnState.COMPLETE_ABORT;
    return new TxnMetadata(producerId, producerEpoch, done, timeoutMs, startMs, Set.of());
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
    return new JsonObject().put("producer_id", producerId).put("producer_epoch", producerEpoch)
        .put("state", state.kafkaName()).put("timeout_ms", timeoutMs).put("start_ms", startMs)
        .put("partitions", parts).put("groups", new JsonArray(groups.stream().sorted().toList()))
        .put("last_update_ms", lastUpdateMs);
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
    return new TxnMetadata(o.getLong("producer_id"), o.getInteger("producer_epoch").shortValue(),
        TxnState.ofKafkaName(o.getString("state")), o.getLong("timeout_ms"), o.getLong("start_ms", -1L), parts,
        groups, o.getLong("last_update_ms", loadedMs));
  }
}
