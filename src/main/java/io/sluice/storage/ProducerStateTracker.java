package io.sluice.storage;

import io.sluice.api.ProducerState;
import io.sluice.api.TopicPartition;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.InvalidProducerEpochException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.OutOfOrderSequenceException;
import io.sluice.errors.ProducerIdLimitException;
import io.sluice.errors.SluiceException;
import io.sluice.errors.UnknownProducerIdException;
import io.sluice.record.ControlRecords;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;

/**
 * One partition's idempotent-producer state (Kafka's KIP-98): for each producer id, the newest epoch seen and the
 * sequence ranges and offsets of its last {@value #BATCHES_PER_PRODUCER} batches.
 *
 * <p><b>Rules</b>, checked before a leader append assigns offsets, for every batch with a producer id:
 * <ul>
 *   <li>an epoch older than the producer's newest is fenced ({@link InvalidProducerEpochException});</li>
 *   <li>a batch whose first and last sequence equal a remembered batch's is a <i>duplicate</i> (a retry whose
 *       answer was lost): it is not written again and the append answers with the original offsets;</li>
 *   <li>otherwise its first sequence must follow the producer's last one (or be 0 with a newer epoch); anything else
 *       is a gap or a too-old retry ({@link OutOfOrderSequenceException}). A producer the partition has no sequence
 *       for in its epoch must start at sequence 0: a producer whose state was forgotten (expired, its batches all
 *       older than the rebuild scan, truncated, or evicted by a follower's bound) is refused with
 *       {@link UnknownProducerIdException}, as Kafka's UNKNOWN_PRODUCER_ID, and starts again at 0 in a newer epoch
 *       (the Java client does so per partition, KIP-360).</li>
 * </ul>
 * A request is all-new or all-duplicate: a mix is refused, since a request is written whole or not at all.
 *
 * <p><b>Sequenced producers</b> (Sluice's own, {@link RecordBatch#SEQUENCED_FLAG_MASK}; the stream tasks' writers):
 * each record carries a 64-bit sequence in the header {@link RecordBatch#SEQUENCE_HEADER}, rising but with gaps
 * (a stream task derives it from the input offset), and the leader writes only the records above the producer's
 * last sequence here; the others are already written (a zombie's late write, a successor's replay) and are taken out
 * of the batch, silently: {@link #dropWritten}. An unknown sequenced producer may start anywhere. Its state lives
 * where a Kafka producer's does (followers, rebuild, truncation, expiry); a producer id is either kind, never both.
 *
 * <p><b>Durability.</b> The log writes the state to a {@link ProducerSnapshots} file at each roll and clean close;
 * on open it is {@link #load}ed from the newest one and the batch headers after it (producer id, epoch, base
 * sequence) are replayed. Without a readable snapshot the log is the truth: the state is rebuilt by walking batch
 * headers of the last {@value #REBUILD_SEGMENTS} segments (headers only, no record bodies), and of up to
 * {@value #REBUILD_EXTRA_SEGMENTS} older ones while a producer's window is short. Follower appends update it too, so
 * a new leader knows its producers. A truncation drops state for the batches it cuts.
 *
 * <p><b>Expiry.</b> {@link #expire} forgets producers with no append for {@code producer.id.expiration.ms} on the
 * owner's clock, so the map is bounded by the producers active within that time, not by all that ever wrote.
 *
 * <p><b>Bound.</b> Expiry alone bounds nothing against a client that stamps every small batch with a new producer
 * id (an unknown one starting at 0 is accepted): some 220 bytes of heap a batch. So at most {@code maxProducers}
 * ({@code producer.id.max.per.partition}) are remembered. A leader refuses a request that would add one more
 * ({@link ProducerIdLimitException}, retriable, nothing written) rather than forget one: a forgotten producer that
 * is still writing would have to start a new epoch (UNKNOWN_PRODUCER_ID), and a retry of its last batch would be
 * written twice. Those it knows keep writing, duplicates still caught; only new ones wait
 * for expiry to make room. A follower and a rebuild cannot refuse what the log holds, so there the producer used
 * least recently (appended, or checked as a leader) is forgotten ({@link #remember}); a log written before the bound, or by a leader whose
 * producers expired at other times, rebuilds to the newest {@code maxProducers}, never more.
 *
 * <p><b>Threading:</b> used only by the log's owner thread, like the log's other write paths; not thread-safe.
 */
final class ProducerStateTracker {
  static final int BATCHES_PER_PRODUCER = RecordBatch.IDEMPOTENT_WINDOW_BATCHES;
  static final int REBUILD_SEGMENTS = 2;
  static final int REBUILD_EXTRA_SEGMENTS = 4;

  /** One remembered batch: its sequence range and where it was written. */
  record BatchEntry(long firstSeq, long lastSeq, long firstOffset, long lastOffset) {
  }

  private static final class ProducerEntry {
    short epoch;
    /** A sequenced producer's (64-bit sequences with gaps from record headers), not a Kafka producer's. */
    boolean sequenced;
    /** The owner's clock at this producer's last append here (at rebuild: the time of the rebuild). */
    long lastAppendMs;
    /** The coordinator epoch of this producer's last transaction marker here (Kafka's); -1 before one. */
    int coordinatorEpoch = -1;
    final ArrayDeque<BatchEntry> batches = new ArrayDeque<>(BATCHES_PER_PRODUCER);

    ProducerEntry(short epoch) {
      this.epoch = epoch;
    }
  }

  private final TopicPartition tp;
  private final int maxProducers;
  private final ProducerIdBudget budget;
  /** {@code producers.size()} for other threads (the budget's sum), written after every change of the map. */
  private volatile int published;
  /**
   * In access order, least recent first: each append's {@code get} moves its producer to the end without allocating
   * (a remove and put would cost an entry per batch on the append path).
   */
  private final Map<Long, ProducerEntry> producers = new LinkedHashMap<>(16, 0.75f, true);
  /** Set only while {@link #rebuild} walks the newest segments: the transactions read back in the same walk. */
  private TransactionState txns;

  ProducerStateTracker(TopicPartition tp, int maxProducers) {
    this(tp, maxProducers, ProducerIdBudget.unbounded());
  }

  ProducerStateTracker(TopicPartition tp, int maxProducers, ProducerIdBudget budget) {
    this.tp = tp;
    this.maxProducers = maxProducers;
    this.budget = budget;
  }

  /** How many producers this partition remembers, as last published: any thread. */
  int published() {
    return published;
  }

  private void publish() {
    published = producers.size();
  }

  /**
   * Checks a leader append's batches. Returns null when every batch is new and in sequence (the caller appends
   * them and then calls {@link #onAppended}); returns the original offsets when every batch is a duplicate.
   */
  AppendResult checkLeaderAppend(List<RecordBatch> batches, long logEndOffset) {
    requireRoom(batches);
    // What earlier batches of this request set, read only by later ones: a request of one batch (a producer's usual
    // section) needs neither map, and none is made.
    Map<Long, Integer> lastSeqInRequest = batches.size() > 1 ? new HashMap<>() : null;
    Map<Long, Short> epochInRequest = batches.size() > 1 ? new HashMap<>() : null;
    List<BatchEntry> duplicates = null;
    int fresh = 0;
    for (RecordBatch b : batches) {
      if (b.producerId() < 0 || b.isSequenced()) {
        fresh++;
        continue;
      }
      BatchEntry dup = check(b, lastSeqInRequest, epochInRequest);
      if (dup != null) {
        duplicates = duplicates == null ? new ArrayList<>() : duplicates;
        duplicates.add(dup);
      } else {
        fresh++;
      }
    }
    if (duplicates == null) {
      return null;
    }
    if (fresh > 0) {
      throw new InvalidRecordException("Append to partition " + tp + " mixes " + duplicates.size()
          + " already written batch(es) with " + fresh + " new one(s); resend them apart");
    }
    List<Long> bases = duplicates.stream().map(BatchEntry::firstOffset).toList();
    return new AppendResult(duplicates.get(0).firstOffset(), duplicates.get(duplicates.size() - 1).lastOffset(),
        bases, RecordBatch.NO_TIMESTAMP, logEndOffset);
  }

  /**
   * Refuses a request whose producers the partition does not know would take it above {@code maxProducers}, or the
   * broker's logs together above the budget's bound.
   */
  private void requireRoom(List<RecordBatch> batches) {
    int unknown = 0;
    for (RecordBatch b : batches) { // no allocation: a producer named twice counts twice, which only errs safe
      if (b.producerId() >= 0 && !producers.containsKey(b.producerId())) {
        unknown++;
      }
    }
    if (unknown == 0) {
      return; // the common case: known producers only, no set and no sum over the broker's logs
    }
    if (producers.size() + unknown > maxProducers) {
      unknown = (int) batches.stream().mapToLong(RecordBatch::producerId)
          .filter(pid -> pid >= 0 && !producers.containsKey(pid)).distinct().count();
      if (producers.size() + unknown > maxProducers) {
        throw new ProducerIdLimitException("Partition " + tp + " remembers " + producers.size() + " idempotent"
            + " producers, producer.id.max.per.partition is " + maxProducers + ", and this request adds " + unknown
            + ": retry once idle producers have expired (producer.id.expiration.ms)");
      }
    }
    if (budget.full(unknown)) {
      throw new ProducerIdLimitException("This broker's partitions remember " + budget.held() + " idempotent"
          + " producers, producer.id.max.per.broker is " + budget.max() + ", and this request to " + tp + " adds "
          + unknown + ": retry once idle producers have expired (producer.id.expiration.ms)");
    }
  }

  /**
   * The remembered batch {@code b} duplicates, or null if it is new and in sequence; throws otherwise. The maps
   * (null for a request of one batch) carry what earlier batches of the request set.
   */
  private BatchEntry check(RecordBatch b, Map<Long, Integer> lastSeqInRequest, Map<Long, Short> epochInRequest) {
    long pid = b.producerId();
    int first = b.baseSequence();
    int last = first + b.lastOffsetDelta();
    ProducerEntry entry = producers.get(pid);
    requireKind(entry, pid, false);
    Short requestEpoch = epochInRequest == null ? null : epochInRequest.get(pid);
    short knownEpoch = requestEpoch != null ? requestEpoch : entry != null ? entry.epoch : b.producerEpoch();
    if (b.producerEpoch() < knownEpoch) {
      throw new InvalidProducerEpochException("Producer " + pid + " sent epoch " + b.producerEpoch()
          + " to partition " + tp + " after epoch " + knownEpoch + ": it is fenced");
    }
    Integer lastSeq = lastSeqInRequest == null ? null : lastSeqInRequest.get(pid);
    if (lastSeq == null && entry != null && b.producerEpoch() == entry.epoch) {
      for (BatchEntry e : entry.batches) {
        if (e.firstSeq() == first && e.lastSeq() == last) {
          return e;
        }
      }
      lastSeq = entry.batches.isEmpty() ? null : (int) entry.batches.peekLast().lastSeq();
    }
    boolean newEpoch = entry != null && b.producerEpoch() > entry.epoch && requestEpoch == null;
    // A producer the partition knows nothing of must start at 0: otherwise a second batch overtaking the first on
    // another connection would be taken as the start and the first refused for good. Without a sequence for this
    // epoch the partition cannot tell a new producer's overtaking batch from a forgotten one's next: it says which
    // (UNKNOWN_PRODUCER_ID), and the client decides (a forgotten producer moves to its next epoch, from 0).
    if (!newEpoch && lastSeq == null && first != 0) {
      throw new UnknownProducerIdException("Partition " + tp + " has no sequence for producer " + pid + " (epoch "
          + b.producerEpoch() + "), which sent sequence " + first + ": nothing was written. A producer the partition"
          + " forgot (idle past producer.id.expiration.ms, or its batches older than a restart reads back) starts"
          + " again at sequence 0 in a newer epoch");
    }
    boolean inSequence = newEpoch || lastSeq == null ? first == 0 : first == lastSeq + 1;
    if (!inSequence) {
      throw new OutOfOrderSequenceException("Producer " + pid + " (epoch " + b.producerEpoch() + ") sent sequence "
          + first + " to partition " + tp + " where " + (newEpoch || lastSeq == null ? 0 : lastSeq + 1) + " was expected");
    }
    if (lastSeqInRequest != null) {
      lastSeqInRequest.put(pid, last);
      epochInRequest.put(pid, b.producerEpoch());
    }
    return null;
  }

  private void requireKind(ProducerEntry entry, long pid, boolean sequenced) {
    if (entry != null && entry.sequenced != sequenced) {
      throw new InvalidRecordException("Producer " + pid + " sent a" + (sequenced ? " sequenced" : "n idempotent")
          + " batch to partition " + tp + ", where it wrote " + (sequenced ? "idempotent" : "sequenced")
          + " ones: a producer id is one kind");
    }
  }

  /**
   * Takes out of sequenced producers' batches every record at or below the producer's last sequence here (or in an
   * earlier batch of the same request). Returns null when nothing is taken out (always for a request without
   * sequenced batches); otherwise, per batch of the request, the batch to write (rebuilt with the records kept) or
   * null when every record of it is already written. Throws for a sequenced record without a rising sequence.
   */
  List<RecordBatch> dropWritten(List<RecordBatch> batches) {
    List<RecordBatch> out = null;
    Map<Long, Long> lastInRequest = null;
    for (int i = 0; i < batches.size(); i++) {
      RecordBatch b = batches.get(i);
      RecordBatch kept = b;
      if (b.isSequenced()) {
        lastInRequest = lastInRequest == null ? new HashMap<>() : lastInRequest;
        kept = keepAbove(b, lastInRequest);
      }
      if (kept != b && out == null) {
        out = new ArrayList<>(batches.subList(0, i));
      }
      if (out != null) {
        out.add(kept);
      }
    }
    return out;
  }

  private RecordBatch keepAbove(RecordBatch b, Map<Long, Long> lastInRequest) {
    long pid = b.producerId();
    ProducerEntry entry = producers.get(pid);
    requireKind(entry, pid, true);
    if (entry != null && b.producerEpoch() < entry.epoch) {
      throw new InvalidProducerEpochException("Producer " + pid + " sent epoch " + b.producerEpoch()
          + " to partition " + tp + " after epoch " + entry.epoch + ": it is fenced");
    }
    Long last = lastInRequest.get(pid);
    if (last == null) {
      last = entry == null || entry.batches.isEmpty() ? Long.MIN_VALUE : entry.batches.peekLast().lastSeq();
    }
    List<Record> records = b.records();
    long[] seqs = sequences(b, records);
    int firstKept = 0;
    while (firstKept < seqs.length && seqs[firstKept] <= last) {
      firstKept++;
    }
    lastInRequest.put(pid, Math.max(last, seqs[seqs.length - 1]));
    if (firstKept == 0) {
      return b;
    }
    if (firstKept == seqs.length) {
      return null;
    }
    RecordBatchBuilder kept = new RecordBatchBuilder(b.compressionType())
        .producer(pid, b.producerEpoch(), b.baseSequence()).sequenced().timestampType(b.timestampType());
    for (Record r : records.subList(firstKept, records.size())) {
      kept.append(r.timestamp(), r.key(), r.value(), r.headers());
    }
    return RecordBatch.wrap(kept.build());
  }

  /** A sequenced batch's record sequences, checked to rise. */
  private long[] sequences(RecordBatch b, List<Record> records) {
    long[] seqs = new long[records.size()];
    for (int i = 0; i < seqs.length; i++) {
      seqs[i] = sequenceOf(records.get(i), b.producerId());
      if (i > 0 && seqs[i] <= seqs[i - 1]) {
        throw new InvalidRecordException("Sequenced producer " + b.producerId() + " sent sequence " + seqs[i]
            + " after " + seqs[i - 1] + " in one batch to partition " + tp + ": sequences must rise");
      }
    }
    if (seqs.length == 0) {
      throw new InvalidRecordException("Sequenced producer " + b.producerId() + " sent an empty batch to " + tp);
    }
    return seqs;
  }

  private long sequenceOf(Record r, long pid) {
    for (Header h : r.headers()) {
      if (h.key().equals(RecordBatch.SEQUENCE_HEADER) && h.value() != null) {
        try {
          return Long.parseLong(new String(h.value(), StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
          break;
        }
      }
    }
    throw new InvalidRecordException("A record of sequenced producer " + pid + " to partition " + tp
        + " has no decimal " + RecordBatch.SEQUENCE_HEADER + " header");
  }

  /** Records appended batches (with their offsets assigned), leader or follower, at {@code nowMs}. */
  void onAppended(List<RecordBatch> batches, long nowMs) {
    for (RecordBatch b : batches) {
      if (b.isSequenced()) {
        rememberSequenced(b, nowMs);
      } else if (b.isControlBatch()) {
        onMarker(b.producerId(), b.producerEpoch(), ControlRecords.coordinatorEpoch(b), nowMs);
      } else if (b.producerId() >= 0) {
        remember(b.producerId(), b.producerEpoch(), false, b.baseSequence(), b.baseSequence() + b.lastOffsetDelta(),
            b.baseOffset(), b.lastOffset(), nowMs);
      }
    }
    publish();
  }

  /**
   * Fences a transactional producer's older epochs here once a marker of a newer epoch is written (the coordinator
   * bumped it, as on a timed-out transaction's abort): its sequences start again at 0. A producer the partition does
   * not know yet is added at the marker's epoch, as Kafka does: a write of the fenced epoch still in flight when the
   * abort marker lands (the partition was added, its batch not yet written) would otherwise open a transaction no
   * marker ever closes, holding the last stable offset for good.
   */
  private void onMarker(long pid, short epoch, int coordinatorEpoch, long nowMs) {
    ProducerEntry entry = producers.get(pid);
    if (entry == null) {
      entry = entryFor(pid, epoch);
      entry.lastAppendMs = nowMs;
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches.clear();
    }
    entry.coordinatorEpoch = coordinatorEpoch;
  }

  /**
   * Refuses a transaction marker of an epoch older than the producer's newest here (Kafka's INVALID_PRODUCER_EPOCH:
   * a fenced producer's transaction ends no newer one), or from a coordinator older than the one that wrote the
   * producer's last marker here (Kafka's TRANSACTION_COORDINATOR_FENCED: the old leader of a transaction-state
   * partition, still running, cannot end a transaction the new coordinator ended, nor the next one of the same epoch).
   */
  void checkMarker(long pid, short epoch, int coordinatorEpoch) {
    ProducerEntry entry = producers.get(pid);
    if (entry == null) {
      return;
    }
    if (epoch < entry.epoch) {
      throw new InvalidProducerEpochException("A transaction marker of producer " + pid + " at epoch " + epoch
          + " to partition " + tp + " after epoch " + entry.epoch + ": it is fenced");
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      throw new SluiceException(ErrorCode.TRANSACTION_COORDINATOR_FENCED, "A transaction marker of producer " + pid
          + " from coordinator epoch " + coordinatorEpoch + " to partition " + tp + " after one from coordinator epoch "
          + entry.coordinatorEpoch + ": that coordinator no longer coordinates the producer's transactional id");
    }
  }

  /**
   * Remembers a written sequenced batch. Lenient, since it reads what is already in a log (a follower's copy, a
   * rebuild): a batch compaction left empty, or records without a sequence, add nothing rather than fail.
   */
  private void rememberSequenced(RecordBatch b, long nowMs) {
    long first = Long.MIN_VALUE;
    long last = Long.MIN_VALUE;
    for (Record r : b.records()) {
      try {
        last = sequenceOf(r, b.producerId());
        first = first == Long.MIN_VALUE ? last : first;
      } catch (InvalidRecordException e) {
        // not the leader's to judge here: the leader checked it before writing
      }
    }
    if (first != Long.MIN_VALUE) {
      remember(b.producerId(), b.producerEpoch(), true, first, last, b.baseOffset(), b.lastOffset(), nowMs);
    }
  }

  /**
   * Forgets every producer whose last append here is at least {@code expirationMs} before {@code nowMs} (Kafka's
   * {@code producer.id.expiration.ms}); its next batch must start a sequence again, as an unknown producer's.
   * Idle time is measured on the owner's clock, not from batch timestamps (which the producer sets): a producer
   * with a skewed clock neither expires early nor lingers. After a restart the rebuilt producers count as seen at
   * the rebuild, so a restart can only lengthen, never shorten, their stay.
   *
   * @return how many producers were forgotten
   */
  int expire(long nowMs, long expirationMs) {
    int before = producers.size();
    producers.values().removeIf(e -> nowMs - e.lastAppendMs >= expirationMs);
    publish();
    return before - producers.size();
  }

  /**
   * Remembers a written batch (its producer moves to the end of the order). A producer beyond {@code maxProducers},
   * or while the broker's logs hold the budget's bound (a follower's or a rebuild's: a leader refused it before
   * writing), makes room by forgetting the least recent one here (the broker-wide count as of at most
   * {@link ProducerIdBudget#CACHE_NANOS} ago: a rebuild remembers thousands in a row).
   */
  private void remember(long pid, short epoch, boolean sequenced, long firstSeq, long lastSeq, long baseOffset,
      long lastOffset, long nowMs) {
    ProducerEntry entry = entryFor(pid, epoch);
    entry.sequenced = sequenced;
    entry.lastAppendMs = nowMs;
    if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches.clear();
    }
    if (entry.batches.size() == BATCHES_PER_PRODUCER) {
      entry.batches.pollFirst();
    }
    entry.batches.addLast(new BatchEntry(firstSeq, lastSeq, baseOffset, lastOffset));
  }

  /** The entry of {@code pid}, created at {@code epoch} if new (making room as {@link #remember} says). */
  private ProducerEntry entryFor(long pid, short epoch) {
    ProducerEntry entry = producers.get(pid);
    if (entry == null) {
      if (producers.size() >= maxProducers || !producers.isEmpty() && budget.fullAsOfLately()) {
        Iterator<ProducerEntry> idlest = producers.values().iterator();
        idlest.next();
        idlest.remove();
      }
      entry = new ProducerEntry(epoch);
      producers.put(pid, entry);
    }
    return entry;
  }

  /** Forgets batches at or after {@code offset} (they are being truncated away). */
  void truncateTo(long offset) {
    producers.values().forEach(e -> e.batches.removeIf(b -> b.lastOffset() >= offset));
    producers.values().removeIf(e -> e.batches.isEmpty());
    publish();
  }

  /** Forgets every producer (the log was emptied and restarted elsewhere). */
  void clear() {
    producers.clear();
    publish();
  }

  /**
   * Each producer remembered here, least recently used first, with the first offset of its open transaction from
   * {@code txnStart} (-1: none); reads only, the order is not touched.
   */
  List<ProducerState> describe(LongUnaryOperator txnStart) {
    List<ProducerState> out = new ArrayList<>(producers.size());
    producers.forEach((pid, e) -> out.add(new ProducerState(pid, e.epoch,
        e.batches.isEmpty() ? -1 : e.batches.peekLast().lastSeq(), e.lastAppendMs, txnStart.applyAsLong(pid),
        e.coordinatorEpoch)));
    return out;
  }

  /** Whether the partition remembers {@code pid} (compaction keeps such a producer's last batch). */
  boolean remembers(long pid) {
    return producers.containsKey(pid);
  }

  /** How many producers the partition remembers (for tests). */
  int producerCount() {
    return producers.size();
  }

  /**
   * Rebuilds the state from the batch headers of the newest {@value #REBUILD_SEGMENTS} segments of {@code s}; then,
   * while a producer found there has fewer than {@value #BATCHES_PER_PRODUCER} batches and earlier ones exist (its
   * oldest found does not start at sequence 0), from older segments, newest first, at most
   * {@value #REBUILD_EXTRA_SEGMENTS} more: with small segments a producer's last batches span more segments than
   * two, and a resend of one of them must still be recognised after a restart.
   */
  static ProducerStateTracker rebuild(TopicPartition tp, LogState s, long nowMs, int maxProducers) {
    return rebuild(tp, s, nowMs, maxProducers, ProducerIdBudget.unbounded());
  }

  /** As above, the partition counted in {@code budget}. */
  static ProducerStateTracker rebuild(TopicPartition tp, LogState s, long nowMs, int maxProducers,
      ProducerIdBudget budget) {
    return rebuild(tp, s, nowMs, maxProducers, budget, null);
  }

  /**
   * As above; the transactional batches and markers of the newest segments also go to {@code txns} (if not null), in
   * the same walk of their headers (a restart reads them once).
   */
  static ProducerStateTracker rebuild(TopicPartition tp, LogState s, long nowMs, int maxProducers,
      ProducerIdBudget budget, TransactionState txns) {
    ProducerStateTracker tracker = new ProducerStateTracker(tp, maxProducers, budget);
    Segment[] segments = s.segments();
    int from = Math.max(0, segments.length - REBUILD_SEGMENTS);
    tracker.txns = txns;
    for (int i = from; i < segments.length; i++) {
      tracker.scan(s, segments[i], nowMs, pid -> true, s.logStartOffset());
    }
    tracker.txns = null;
    for (int i = from - 1; i >= Math.max(0, from - REBUILD_EXTRA_SEGMENTS) && tracker.missesEarlierBatches(); i--) {
      // only the producers it looks for: an older segment full of others must not crowd them out of the bound
      ProducerStateTracker older = new ProducerStateTracker(tp, maxProducers);
      older.scan(s, segments[i], nowMs, tracker.producers::containsKey, s.logStartOffset());
      tracker.prependEarlier(older);
    }
    tracker.publish();
    return tracker;
  }

  /** Whether an idempotent producer remembers fewer batches than the window though it wrote earlier ones. */
  private boolean missesEarlierBatches() {
    return producers.values().stream().anyMatch(ProducerStateTracker::missesEarlier);
  }

  private static boolean missesEarlier(ProducerEntry e) {
    return !e.sequenced && e.batches.size() < BATCHES_PER_PRODUCER && e.batches.peekFirst().firstSeq() > 0;
  }

  /** Puts {@code older}'s batches of the same producer and epoch before this one's, up to the window. */
  private void prependEarlier(ProducerStateTracker older) {
    producers.forEach((pid, e) -> {
      ProducerEntry o = older.producers.get(pid);
      if (o == null || !missesEarlier(e) || o.sequenced || o.epoch != e.epoch) {
        return;
      }
      for (var it = o.batches.descendingIterator(); it.hasNext() && e.batches.size() < BATCHES_PER_PRODUCER; ) {
        BatchEntry b = it.next();
        if (b.lastSeq() < e.batches.peekFirst().firstSeq()) {
          e.batches.addFirst(b);
        }
      }
    });
  }

  /**
   * Loads the state from {@code snapshot} (and the ongoing transactions into {@code txns}), then replays the batch
   * headers of the log from the snapshot's offset to its end; without a snapshot, {@link #rebuild}s it.
   */
  static ProducerStateTracker load(TopicPartition tp, LogState s, long nowMs, int maxProducers,
      ProducerIdBudget budget, TransactionState txns, ProducerSnapshots.Snapshot snapshot) {
    if (snapshot == null) {
      return rebuild(tp, s, nowMs, maxProducers, budget, txns);
    }
    ProducerStateTracker tracker = new ProducerStateTracker(tp, maxProducers, budget);
    for (ProducerSnapshots.Producer p : snapshot.producers()) { // least recent first: the bound evicts as before
      ProducerEntry entry = tracker.entryFor(p.producerId(), p.epoch()); // kept without batches: a marker's epoch
      entry.sequenced = p.sequenced();
      entry.coordinatorEpoch = p.coordinatorEpoch();
      entry.lastAppendMs = nowMs; // as a rebuild's: seen at the open
      entry.batches.addAll(p.batches());
    }
    txns.restore(snapshot.ongoingTxns());
    tracker.txns = txns;
    tracker.replayFrom(s, snapshot.offset(), nowMs);
    tracker.txns = null;
    tracker.publish();
    return tracker;
  }

  /** Remembers the batches of {@code s} from {@code offset} (a batch boundary) to its end. */
  private void replayFrom(LogState s, long offset, long nowMs) {
    Segment[] segments = s.segments();
    for (int i = Math.max(0, s.floorIndex(offset)); i < segments.length; i++) {
      scan(s, segments[i], nowMs, pid -> true, Math.max(offset, s.logStartOffset()));
    }
  }

  /** This partition's producers, least recently used first, for a snapshot. */
  List<ProducerSnapshots.Producer> snapshot() {
    List<ProducerSnapshots.Producer> out = new ArrayList<>(producers.size());
    producers.forEach((pid, e) -> out.add(new ProducerSnapshots.Producer(pid, e.epoch, e.sequenced,
        List.copyOf(e.batches), e.coordinatorEpoch)));
    return out;
  }

  private static RecordBatch whole(Segment segment, BatchCursor cursor) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(cursor.sizeInBytes);
    Segment.readFully(segment.channel, bytes, cursor.position);
    return RecordBatch.wrap(bytes.flip());
  }

  /**
   * Remembers the batches of one segment at or after {@code fromOffset}, from their headers (a sequenced batch is
   * read whole).
   */
  private void scan(LogState s, Segment segment, long nowMs, LongPredicate wanted, long fromOffset) {
    BatchCursor cursor = new BatchCursor(segment.channel, s.readableSize(segment));
    try {
      for (boolean ok = cursor.loadAt(0); ok; ok = cursor.next()) {
        if (txns != null && (cursor.attributes & RecordBatch.TRANSACTIONAL_FLAG_MASK) != 0
            && cursor.lastOffset() >= fromOffset) {
          txns.scanned(segment, cursor);
        }
        if (cursor.producerId < 0 || cursor.lastOffset() < fromOffset || !wanted.test(cursor.producerId)) {
          continue;
        }
        if ((cursor.attributes & RecordBatch.CONTROL_FLAG_MASK) != 0) {
          // a transaction marker carries no sequence; its coordinator epoch is in its record: read it whole (small)
          onMarker(cursor.producerId, cursor.producerEpoch, ControlRecords.coordinatorEpoch(whole(segment, cursor)),
              nowMs);
        } else if ((cursor.attributes & RecordBatch.SEQUENCED_FLAG_MASK) != 0) {
          // a sequenced batch's sequences are in its records: read this one whole
          rememberSequenced(whole(segment, cursor), nowMs);
        } else {
          remember(cursor.producerId, cursor.producerEpoch, false, cursor.baseSequence,
              cursor.baseSequence + cursor.lastOffsetDelta, cursor.baseOffset, cursor.lastOffset(), nowMs);
        }
      }
    } catch (IOException e) {
      throw new io.sluice.errors.StorageException("Cannot rebuild producer state of partition " + tp + " from "
          + segment.file + ": " + e, e);
    }
  }
}
