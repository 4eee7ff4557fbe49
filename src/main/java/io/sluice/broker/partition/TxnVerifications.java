package io.sluice.broker.partition;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.RecordBatch;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A partition leader's transaction verification (Kafka's KIP-890 part 1): before the first transactional batch of a
 * producer's transaction is appended, the transactional id's coordinator confirms the partition was added to that
 * ongoing transaction, so a late or stray batch cannot open a transaction no coordinator will ever end (a hanging
 * transaction pinning the LSO).
 *
 * <p>Per producer id one {@link Guard}: the epoch asked about and the coordinator's answer. Later batches of the
 * same epoch reuse it (one round trip per transaction per partition); a marker of the producer ({@link #ended})
 * drops it, so the next transaction asks again. An append checks, in turn with the writes, that its guard is still
 * the producer's ({@link #holds}): a marker written while the answer travelled (the transaction ended meanwhile)
 * refuses the batch rather than letting it open a new transaction, as Kafka's verification guard does.
 *
 * <p>Threads: {@link #guard} on the partition's context; {@link #holds} and {@link #ended} in its write tasks.
 */
public final class TxnVerifications {
  /** What asks the coordinator; null answers come on any thread. */
  @FunctionalInterface
  public interface Verifier {
    Future<Void> verify(String transactionalId, ProducerIdentity producer, TopicPartition tp);
  }

  /** One producer epoch's verification here. */
  static final class Guard {
    final short epoch;
    final Future<Void> answer;

    private Guard(short epoch, Future<Void> answer) {
      this.epoch = epoch;
      this.answer = answer;
    }
  }

  private final TopicPartition tp;
  private final Map<Long, Guard> guards = new ConcurrentHashMap<>();

  TxnVerifications(TopicPartition tp) {
    this.tp = tp;
  }

  /**
   * The producer of the transactional batches of {@code batches}, or null if none is transactional. Reads each
   * frame's header fields only (the log checks the frames themselves later), so a request without transactions
   * costs a loop over its batch headers. Fails INVALID_RECORD if they are of several producers or epochs: one
   * verification stands for the request, as Kafka's produce request holds one batch per partition.
   */
  static ProducerIdentity transactionalProducer(ByteBuffer batches) {
    ProducerIdentity found = null;
    int limit = batches.limit();
    for (int pos = batches.position(); pos + RecordBatch.HEADER_SIZE <= limit; ) {
      long id = batches.getLong(pos + RecordBatch.PRODUCER_ID_OFFSET);
      // Without a producer id it is no transaction's: the log refuses it (INVALID_RECORD), as it did before.
      if ((batches.getShort(pos + RecordBatch.ATTRIBUTES_OFFSET) & RecordBatch.TRANSACTIONAL_FLAG_MASK) != 0
          && id >= 0) {
        short epoch = batches.getShort(pos + RecordBatch.PRODUCER_EPOCH_OFFSET);
        if (found == null) {
          found = new ProducerIdentity(id, epoch);
        } else if (found.producerId() != id || found.producerEpoch() != epoch) {
          throw new SluiceException(ErrorCode.INVALID_RECORD, "The transactional batches of one request to a"
              + " partition must be of one producer and epoch: " + found + " and " + id + "/" + epoch);
        }
      }
      int length = batches.getInt(pos + RecordBatch.LENGTH_OFFSET);
      if (length <= 0) {
        break; // a broken frame: the log refuses it
      }
      pos += RecordBatch.LOG_OVERHEAD + length;
    }
    return found;
  }

  /** The producer's guard for {@code epoch}: the one asked already, else a new question to the coordinator. */
  Guard guard(String transactionalId, long producerId, short epoch, Verifier verifier) {
    Guard known = guards.get(producerId);
    if (known != null && known.epoch == epoch && !known.answer.failed()) {
      return known;
    }
    if (transactionalId == null) {
      return new Guard(epoch, Future.failedFuture(new SluiceException(ErrorCode.INVALID_TXN_STATE, "A transactional"
          + " batch of producer " + producerId + " to " + tp + " names no transactional id (the transactional_id"
          + " query parameter): its transaction cannot be verified")));
    }
    Guard fresh = new Guard(epoch, verifier.verify(transactionalId, new ProducerIdentity(producerId, epoch), tp));
    guards.put(producerId, fresh);
    fresh.answer.onFailure(t -> guards.remove(producerId, fresh)); // the next batch asks again
    return fresh;
  }

  /** Whether {@code guard} still stands for the producer: no marker of it was written since it was made. */
  boolean holds(long producerId, Guard guard) {
    return guards.get(producerId) == guard;
  }

  /** A marker of the producer was written: its transaction here is over. */
  void ended(long producerId) {
    guards.remove(producerId);
  }

  /** Leadership changed: markers written meanwhile by another leader were not seen here. */
  void clear() {
    guards.clear();
  }
}
