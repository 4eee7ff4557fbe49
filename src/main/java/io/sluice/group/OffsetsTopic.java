package io.sluice.group;

import io.sluice.api.InternalTopics;
import io.sluice.api.RequestContext;

import io.sluice.api.CommittedOffset;
import io.sluice.api.FetchedRecords;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.NewTopic;
import io.sluice.api.ProduceResult;
import io.sluice.api.TopicMetadata;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.Partitioner;
import io.sluice.record.Record;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The internal topic {@value #NAME} that holds what groups must not forget: committed offsets, each group's
 * generation, and the consumer instances (their settings and subscription). The coordinator of group g is the
 * leader of partition {@code toPositive(murmur2(utf8(g))) % partitions}; every record of g goes there.
 *
 * <p>Records are keyed; the latest record of a key wins and a null value (tombstone) deletes it. Key and value are
 * UTF-8 JSON:
 *
 * <pre>
 *   ["offset", group, topic, partition]  {"offset": next offset to read, "metadata": s, "timestamp": ms} | null
 *   ["group", group]                     {"generation": n, "assignor": name[, "empty_since": ms]} | null
 *   ["instance", group, name]            {"config": {...}, "subscription": {...} | null, "assignment": [...] | null} | null
 *   ["load", broker]                     {"broker": id}  (a new coordinator's marker, see PartitionOwnership)
 *   ["txnoffset", group, producerId, topic, partition]  as "offset", with "producer_epoch" | null  (pending, below)
 * </pre>
 *
 * A {@code txnoffset} record is an offset a transactional producer sent (Kafka's TxnOffsetCommit): pending, not a
 * commit, until the transaction coordinator completes it once the transaction's markers are written; a commit writes
 * the "offset" records and the pending ones' tombstones in one batch, an abort the tombstones only.
 *
 * A group record with {@code empty_since} is written when a group that had members is seen without any (Kafka's
 * group metadata record with its current state timestamp): a restarted or new coordinator expires its commits a
 * retention after that time ({@link OffsetExpiry}), not after its own load.
 *
 * <p>Writes go through {@link BrokerService#produce} with acks=all, so they are replicated like any topic's. The
 * topic is compacted ({@link #topicConfigs}): a coordinator's load reads the partition from its start, the latest
 * record of each key plus the recent writes. Thread-safe (stateless apart from the service).
 */
public final class OffsetsTopic {
  public static final String NAME = InternalTopics.CONSUMER_OFFSETS;
  /** The leader epoch of a write that expects none in particular (single-broker mode: no leadership to lose). */
  public static final int ANY_LEADER_EPOCH = -1;
  /**
   * The topic's configs: compacted (latest record per key; tombstones of deleted groups and instances go after
   * {@code delete.retention.ms}, one day), never deleted by age or size. Only closed segments are compacted, so
   * segments roll at {@code offsets.topic.segment.bytes} (4 MiB; Kafka 100 MiB) or after an hour (Kafka: 7 days):
   * a coordinator's load then reads the live keys plus about one segment of recent writes.
   */
  static Map<String, String> topicConfigs(GroupConfig cfg) {
    return Map.of("cleanup.policy", "compact", "segment.bytes", Integer.toString(cfg.offsetsTopicSegmentBytes()),
        "segment.ms", "3600000");
  }

  private static final System.Logger LOG = System.getLogger(OffsetsTopic.class.getName());
  private static final int LOAD_FETCH_BYTES = 1 << 20;
  /** Batches of at most this many records (not instances') are encoded by the caller: in well under a millisecond. */
  static final int INLINE_ENCODE_MAX_ENTRIES = 256;

  private final BrokerService service;
  private final WorkerExecutor workers;
  private volatile int partitions;
  /**
   * Completes once the last append encoded on the workers, or waiting behind one, has been handed to the log; an
   * append finding it pending waits its turn. Guarded by {@code this}.
   */
  private Future<Void> appendsIssued = Future.succeededFuture();

  /** A decoded record of the topic. {@code value} is null for a tombstone. */
  public record Entry(JsonArray key, JsonObject value) {
    public String kind() {
      return key.getString(0);
    }

    public String group() {
      return key.getString(1);
    }
  }

  public OffsetsTopic(BrokerService service, WorkerExecutor workers) {
    this.service = service;
    this.workers = workers;
  }

  /**
   * Creates the topic unless it exists; completes with its partition count. Its replication factor is
   * {@code offsets.topic.replication.factor}, or when that is -1 the smaller of 3 and the brokers the cluster has
   * had (those registered now and those seen before: {@code GET /cluster}'s), so a single broker works and a
   * cluster's commits survive a broker's crash. Not the live brokers: a topic created while one was down (a rolling
   * restart) would keep a smaller factor for good, the hole Kafka closed with KIP-115. While fewer brokers can take a
   * replica than the factor asks, it fails COORDINATOR_NOT_AVAILABLE, retriable, as Kafka answers a coordinator
   * lookup until enough brokers are up: the caller's group call is refused for now, not for good.
   */
  public Future<Integer> ensureCreated(GroupConfig cfg, BrokerService cluster) {
    Map<String, String> configs = topicConfigs(cfg);
    return service.describeTopic(RequestContext.SELF, NAME)
        .recover(t -> isCode(t, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            ? replicationFactor(cfg, cluster).compose(rf -> service.createTopic(RequestContext.SELF, new NewTopic(NAME,
                cfg.offsetsTopicPartitions(), rf, configs)))
                .recover(t2 -> isCode(t2, ErrorCode.TOPIC_ALREADY_EXISTS) ? service.describeTopic(RequestContext.SELF, NAME)
                    : Future.failedFuture(tooFewBrokers(t2)))
            : Future.failedFuture(t))
        .map(TopicMetadata::partitionCount)
        .onSuccess(n -> {
          if (partitions != n && n != cfg.offsetsTopicPartitions()) {
            LOG.log(Level.INFO, NAME + " exists with " + n + " partitions (offsets.topic.num.partitions is "
                + cfg.offsetsTopicPartitions() + "); the existing count is used");
          }
          partitions = n;
        });
  }

  private static Future<Integer> replicationFactor(GroupConfig cfg, BrokerService cluster) {
    if (cfg.offsetsTopicReplicationFactor() > 0) {
      return Future.succeededFuture(cfg.offsetsTopicReplicationFactor());
    }
    return cluster.describeCluster(RequestContext.SELF)
        .map(c -> c.internalTopicReplicationFactor(cfg.offsetsTopicReplicationFactor()));
  }

  private static Throwable tooFewBrokers(Throwable t) {
    return isCode(t, ErrorCode.INVALID_REPLICATION_FACTOR) ? new SluiceException(ErrorCode.COORDINATOR_NOT_AVAILABLE,
        "No group coordinator yet: " + NAME + " cannot be created until enough brokers are up (" + t.getMessage()
            + "); retry") : t;
  }

  /**
   * The error a member is answered when a write of its group's record failed, as Kafka's
   * {@code GroupMetadataManager.storeGroup} maps the append's: too few replicas or no such partition
   * COORDINATOR_NOT_AVAILABLE, a leader gone NOT_COORDINATOR (both retriable: the client finds the coordinator again),
   * a timeout REBALANCE_IN_PROGRESS (rejoin), too large UNKNOWN_SERVER_ERROR, any other code as it is. A failure that
   * carries no code (an event-bus timeout) is COORDINATOR_NOT_AVAILABLE: retriable, as its write may yet be undone.
   */
  static SluiceException storeGroupError(String groupId, Throwable t) {
    ErrorCode code = t instanceof SluiceException e ? switch (e.errorCode()) {
      case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND ->
          ErrorCode.COORDINATOR_NOT_AVAILABLE;
      case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH ->
          ErrorCode.NOT_COORDINATOR;
      case REQUEST_TIMED_OUT -> ErrorCode.REBALANCE_IN_PROGRESS;
      case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE -> ErrorCode.UNKNOWN_SERVER_ERROR;
      default -> e.errorCode();
    } : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return new SluiceException(code, "Writing the record of group '" + groupId + "' failed: " + t.getMessage(), t);
  }

  /** Records the partition count of the existing topic (read from metadata by the caller). */
  void partitions(int n) {
    partitions = n;
  }

  public int partitions() {
    return partitions;
  }

  /** The partition holding group {@code group}'s records. */
  public int partitionFor(String group) {
    return partitionFor(group, partitions);
  }

  public static int partitionFor(String group, int partitions) {
    return Partitioner.toPositive(Partitioner.murmur2(group.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** Appends {@code entries} as one batch to the partition of their group (all must share it), acks=all. */
  public Future<Void> append(String group, List<Entry> entries) {
    return appendTo(partitionFor(group), entries).mapEmpty();
  }

  /**
   * Appends {@code entries} as one batch to {@code partition}, acks=all; completes with the batch's base offset.
   * Batches are handed to the log in the order of the calls (a later record of a key must win), also when one is
   * encoded on the workers ({@link #encodedOnWorkers}) while the next is not.
   */
  public Future<Long> appendTo(int partition, List<Entry> entries) {
    return appendTo(partition, entries, ANY_LEADER_EPOCH);
  }

  /**
   * Like {@link #appendTo(int, List)}, refused unless the partition's leader is at {@code leaderEpoch}
   * ({@link BrokerService#produceAtLeaderEpoch}; {@link #ANY_LEADER_EPOCH}: at any): a coordinator's write, fenced by
   * the epoch it loaded the partition at.
   */
  public Future<Long> appendTo(int partition, List<Entry> entries, int leaderEpoch) {
    boolean onWorkers = encodedOnWorkers(entries);
    synchronized (this) {
      if (!onWorkers && appendsIssued.isComplete()) {
        return produce(partition, encode(entries), leaderEpoch);
      }
      Promise<Void> issued = Promise.promise();
      Future<ByteBuffer> encoded = appendsIssued.transform(previous -> onWorkers
          ? workers.executeBlocking(() -> encode(entries), false) : Future.succeededFuture(encode(entries)));
      encoded.onFailure(t -> issued.tryComplete());
      appendsIssued = issued.future();
      return encoded.compose(batch -> {
        Future<Long> appended = produce(partition, batch, leaderEpoch);
        issued.tryComplete(); // the next append is handed to the log after this one, not after its acks
        return appended;
      });
    }
  }

  /**
   * Whether encoding {@code entries} may take long enough to hold the caller's event loop: many records (a commit of
   * 25,000 partitions), or an instance's record, whose subscription and assignment hold up to
   * {@code consumer.max.subscription.entries} (a 25,000-partition assignment held it past the 1 s guard at load 30).
   */
  static boolean encodedOnWorkers(List<Entry> entries) {
    return entries.size() > INLINE_ENCODE_MAX_ENTRIES
        || entries.stream().anyMatch(e -> e.value() != null && "instance".equals(e.key().getValue(0)));
  }

  private static ByteBuffer encode(List<Entry> entries) {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE);
    long now = System.currentTimeMillis();
    for (Entry e : entries) {
      builder.append(now, e.key().toBuffer().getBytes(), e.value() == null ? null : e.value().toBuffer().getBytes(),
          List.of());
    }
    return builder.build();
  }

  private Future<Long> produce(int partition, ByteBuffer batch, int leaderEpoch) {
    TopicPartition tp = new TopicPartition(NAME, partition);
    Future<ProduceResult> written = leaderEpoch == ANY_LEADER_EPOCH
        ? service.produce(RequestContext.SELF, tp, batch, Acks.ALL)
        : service.produceAtLeaderEpoch(RequestContext.SELF, tp, batch, Acks.ALL, leaderEpoch);
    return written.map(r -> r.batchBaseOffsets().get(0));
  }

  /** What a read handed to its sink: every record below {@code reached}, {@code records} of them. */
  public record Loaded(long reached, long records) {}

  /**
   * Reads partition {@code partition} from its start up to (excluding) {@code endOffset}; fails if the partition
   * cannot be read that far (its records must not be skipped silently).
   */
  public Future<Long> load(int partition, long endOffset, Consumer<Entry> sink) {
    TopicPartition tp = new TopicPartition(NAME, partition);
    return service.offsets(RequestContext.SELF, tp)
        .compose(range -> loadFully(tp, range.beginningOffset(), endOffset, sink));
  }

  /**
   * Reads partition {@code partition} from its start towards its current end (the high watermark: committed records
   * only), as far as it is readable now; completes with the offset reached, below which every record was read. It
   * may be short of the end {@link BrokerService#offsets} gave (a new leader's high watermark may lag it, or move
   * back): a later read continues from the offset reached, not from that end.
   */
  public Future<Loaded> loadCommitted(int partition, Consumer<Entry> sink) {
    TopicPartition tp = new TopicPartition(NAME, partition);
    return service.offsets(RequestContext.SELF, tp)
        .compose(range -> loadFrom(tp, range.beginningOffset(), range.endOffset(), sink, 0));
  }

  /**
   * Reads partition {@code partition} from {@code from} up to (excluding) {@code endOffset}; fails if the partition
   * cannot be read that far.
   */
  public Future<Long> load(int partition, long from, long endOffset, Consumer<Entry> sink) {
    return loadFully(new TopicPartition(NAME, partition), from, endOffset, sink);
  }

  /** Reads partition {@code partition} from its start to its current end, handing each entry to {@code sink}. */
  public Future<Long> load(int partition, Consumer<Entry> sink) {
    TopicPartition tp = new TopicPartition(NAME, partition);
    return service.offsets(RequestContext.SELF, tp)
        .compose(range -> loadFully(tp, range.beginningOffset(), range.endOffset(), sink));
  }

  private Future<Long> loadFully(TopicPartition tp, long from, long end, Consumer<Entry> sink) {
    return loadFrom(tp, from, end, sink, 0).compose(loaded -> loaded.reached() < end
        ? Future.failedFuture(new SluiceException(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "Reading " + tp + " stopped at "
            + loaded.reached() + ", short of " + end + " (its high watermark moved back: leadership changed?)"))
        : Future.succeededFuture(loaded.records()));
  }

  /** Reads from {@code offset} towards {@code end} until there or until a fetch answers nothing more. */
  private Future<Loaded> loadFrom(TopicPartition tp, long offset, long end, Consumer<Entry> sink, long count) {
    if (offset >= end) {
      return Future.succeededFuture(new Loaded(end, count));
    }
    return service.fetch(RequestContext.SELF, new FetchRequest(tp, offset, LOAD_FETCH_BYTES, 0, 0))
        .compose(result -> workers.executeBlocking(() -> FetchedRecords.decode(result, offset), false))
        .compose(decoded -> {
          decoded.records().forEach(r -> {
            if (r.offset() < end) {
              decodeInto(r, NAME, sink);
            }
          });
          if (decoded.nextOffset() <= offset) {
            return Future.succeededFuture(new Loaded(offset, count));
          }
          return loadFrom(tp, decoded.nextOffset(), end, sink, count + decoded.records().size());
        });
  }

  /**
   * Hands {@code r} of {@code topic}, a JSON-keyed internal topic, to {@code sink} as an entry; a record that is not
   * such JSON is logged and skipped.
   */
  public static void decodeInto(Record r, String topic, Consumer<Entry> sink) {
    try {
      JsonArray key = new JsonArray(new String(r.key(), StandardCharsets.UTF_8));
      JsonObject value = r.value() == null ? null : new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
      sink.accept(new Entry(key, value));
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "Skipping unreadable record at offset " + r.offset() + " of " + topic + ": " + e);
    }
  }

  public static Entry offsetEntry(String group, TopicPartition tp, CommittedOffset offset) {
    JsonArray key = new JsonArray().add("offset").add(group).add(tp.topic()).add(tp.partition());
    return new Entry(key, offset == null ? null : new JsonObject().put("offset", offset.offset())
        .put("metadata", offset.metadata()).put("timestamp", offset.commitTimestampMs()));
  }

  /** A pending offset of transactional producer {@code producerId} at {@code epoch}; null: its tombstone. */
  public static Entry txnOffsetEntry(String group, long producerId, short epoch, TopicPartition tp,
      CommittedOffset offset) {
    JsonArray key = new JsonArray().add("txnoffset").add(group).add(producerId).add(tp.topic()).add(tp.partition());
    return new Entry(key, offset == null ? null : new JsonObject().put("offset", offset.offset())
        .put("metadata", offset.metadata()).put("timestamp", offset.commitTimestampMs())
        .put("producer_epoch", epoch));
  }

  public static Entry groupEntry(String group, int generation, String assignor) {
    return new Entry(new JsonArray().add("group").add(group),
        new JsonObject().put("generation", generation).put("assignor", assignor));
  }

  /** The record of a group, which had members, seen without any at {@code emptySinceMs}. */
  public static Entry emptyGroupEntry(String group, int generation, String assignor, long emptySinceMs) {
    return new Entry(new JsonArray().add("group").add(group), new JsonObject().put("generation", generation)
        .put("assignor", assignor).put("empty_since", emptySinceMs));
  }

  /** Deletes a group's generation record (a deleted group). */
  public static Entry groupTombstone(String group) {
    return new Entry(new JsonArray().add("group").add(group), null);
  }

  public static Entry instanceEntry(String group, String name, JsonObject state) {
    return new Entry(new JsonArray().add("instance").add(group).add(name), state);
  }

  private static boolean isCode(Throwable t, ErrorCode code) {
    return t instanceof SluiceException se && se.errorCode() == code;
  }
}
