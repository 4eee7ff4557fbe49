package io.sluice.group;

import io.sluice.api.CommittedOffset;
import io.sluice.api.ProducerIdentity;
import io.sluice.api.TopicPartition;
import io.sluice.api.TxnOffsets;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The offsets transactional producers sent to the groups of one {@link GroupCoordinator} (Kafka's TxnOffsetCommit),
 * pending until their transaction's end makes them commits or drops them ({@link #complete}); a KIP-447
 * {@code require_stable} fetch waits while any is pending ({@link #unstable}). Written to the offsets topic under
 * {@code ["txnoffset", group, producer id, topic, partition]} before they are applied, read back at load.
 *
 * <p>Ordering, as Kafka's log orders a TxnOffsetCommit and its transaction's marker: the transaction coordinator is
 * asked first ({@link GroupCoordinator.TxnOffsetsVerifier}, KIP-890) whether the group is part of the producer's ongoing transaction, and the
 * write follows; a transaction's end completes the group's offsets after every send of that producer to the group
 * queued before it ({@link SerialByKey} per group and producer id). So an offset commit either lands before its
 * transaction's end completes the group (and is completed with it) or is refused: INVALID_TXN_STATE once the
 * transaction ended (or never added the group), CONCURRENT_TRANSACTIONS (retriable) while its end is being written,
 * INVALID_PRODUCER_EPOCH for a fenced producer. Before, an offset commit that arrived after the end stayed pending
 * where no end would complete it, and a {@code require_stable} fetch of the group waited for ever.
 *
 * <p>Threads: the coordinator's context only.
 */
final class PendingTxnOffsets {
  /** An offset pending in a transaction, with the epoch of the producer that sent it. */
  record PendingOffset(CommittedOffset offset, short producerEpoch) {
  }

  private record ProducerInGroup(String groupId, long producerId) {
  }

  private final GroupCoordinator coordinator;
  /** Per group, per transactional producer id, the offsets it sent in its ongoing transaction. */
  private final Map<String, Map<Long, Map<TopicPartition, PendingOffset>>> pending = new HashMap<>();
  private final SerialByKey<ProducerInGroup> serial = new SerialByKey<>();
  private GroupCoordinator.TxnOffsetsVerifier verifier;

  PendingTxnOffsets(GroupCoordinator coordinator, GroupCoordinator.TxnOffsetsVerifier verifier) {
    this.coordinator = coordinator;
    this.verifier = verifier;
  }

  void verifier(GroupCoordinator.TxnOffsetsVerifier v) {
    this.verifier = v;
  }

  /**
   * Kafka's TxnOffsetCommit: checks the sender as a member's commit is checked when it names its member or
   * generation (KIP-447), asks the transaction coordinator, then writes the offsets pending.
   */
  Future<Void> send(String transactionalId, ProducerIdentity producer, TxnOffsets sent) {
    String groupId = sent.groupId();
    return serial.run(new ProducerInGroup(groupId, producer.producerId()), () -> {
      if (sent.fenced()) {
        coordinator.group(groupId).checkCommit(sent.memberId(), sent.generation());
      }
      sent.offsets().forEach((tp, o) -> coordinator.checkMetadata(tp, o.metadata()));
      requireNotOlder(groupId, producer);
      return verifier.verify(transactionalId, producer, groupId).recover(io.sluice.api.TransactionService::asVerificationError)
          .compose(v -> write(groupId, producer, sent));
    });
  }

  /** A fenced producer's late offsets must not replace (under the same key) those of the id's current producer. */
  private void requireNotOlder(String groupId, ProducerIdentity producer) {
    of(groupId, producer.producerId()).values().forEach(p -> {
      if (p.producerEpoch() > producer.producerEpoch()) {
        throw new SluiceException(ErrorCode.INVALID_PRODUCER_EPOCH, "Producer " + producer.producerId() + " epoch "
            + producer.producerEpoch() + " is fenced: group '" + groupId + "' has offsets of epoch "
            + p.producerEpoch() + " pending");
      }
    });
  }


  private Future<Void> write(String groupId, ProducerIdentity producer, TxnOffsets sent) {
    long now = coordinator.nowMs();
    List<OffsetsTopic.Entry> entries = new ArrayList<>();
    sent.offsets().forEach((tp, o) -> entries.add(OffsetsTopic.txnOffsetEntry(groupId, producer.producerId(),
        producer.producerEpoch(), tp, new CommittedOffset(o.nextOffset(), o.metadata(), now))));
    return writeAndApply(groupId, entries);
  }

  /**
   * The transaction of {@code producer} ended; its pending offsets of the group become commits, or go, once the
   * sends queued before are done. Those of an older epoch go either way: a fenced producer's never become commits.
   * Nothing pending (a retry, a coordinator that completed it already): no write.
   */
  Future<Void> complete(String groupId, ProducerIdentity producer, boolean commit) {
    return serial.run(new ProducerInGroup(groupId, producer.producerId()), () -> {
      List<OffsetsTopic.Entry> entries = new ArrayList<>();
      of(groupId, producer.producerId()).forEach((tp, p) -> {
        if (commit && p.producerEpoch() == producer.producerEpoch()) {
          entries.add(OffsetsTopic.offsetEntry(groupId, tp, p.offset()));
        }
        if (p.producerEpoch() <= producer.producerEpoch()) {
          entries.add(OffsetsTopic.txnOffsetEntry(groupId, producer.producerId(), p.producerEpoch(), tp, null));
        }
      });
      return writeAndApply(groupId, entries);
    });
  }

  private Future<Void> writeAndApply(String groupId, List<OffsetsTopic.Entry> entries) {
    return entries.isEmpty() ? Future.succeededFuture()
        : coordinator.write(groupId, entries).onSuccess(v -> entries.forEach(coordinator::apply));
  }

  private Map<TopicPartition, PendingOffset> of(String groupId, long producerId) {
    return pending.getOrDefault(groupId, Map.of()).getOrDefault(producerId, Map.of());
  }

  /** The partitions of {@code partitions} (all if null) with offsets of the group pending in a transaction. */
  Set<TopicPartition> unstable(String groupId, Collection<TopicPartition> partitions) {
    Set<TopicPartition> out = new TreeSet<>(Assignments.ORDER);
    pending.getOrDefault(groupId, Map.of()).values().forEach(m -> m.keySet().forEach(tp -> {
      if (partitions == null || partitions.contains(tp)) {
        out.add(tp);
      }
    }));
    return out;
  }

  /** Applies a {@code txnoffset} record (read back at load, or just written). */
  void apply(OffsetsTopic.Entry e) {
    String group = e.group();
    long pid = e.key().getLong(2);
    TopicPartition tp = new TopicPartition(e.key().getString(3), e.key().getInteger(4));
    Map<Long, Map<TopicPartition, PendingOffset>> byProducer = pending.computeIfAbsent(group, g -> new HashMap<>());
    Map<TopicPartition, PendingOffset> m = byProducer.computeIfAbsent(pid, p -> new HashMap<>());
    if (e.value() == null) {
      m.remove(tp);
    } else {
      m.put(tp, new PendingOffset(new CommittedOffset(e.value().getLong("offset"), e.value().getString("metadata"),
          e.value().getLong("timestamp", 0L)), e.value().getInteger("producer_epoch", 0).shortValue()));
    }
    if (m.isEmpty()) {
      byProducer.remove(pid);
    }
    if (byProducer.isEmpty()) {
      pending.remove(group);
    }
  }

  /** Forgets the groups of a partition whose leadership moved away. */
  void drop(Predicate<String> inPartition) {
    pending.keySet().removeIf(inPartition);
  }
}
