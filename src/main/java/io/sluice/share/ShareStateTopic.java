package io.sluice.share;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchedRecords;
import io.sluice.api.InternalTopics;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.OffsetsTopic;
import io.sluice.group.OffsetsTopic.Entry;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The internal topic {@value #NAME}: what share groups must not forget (KIP-932's share coordinator state), so that
 * a keeper that crashes, stops or loses the partition hands its groups to the next one intact. One partition (one
 * broker keeps every share group), compacted, replicated min(3, brokers the cluster has had) times like
 * {@code __consumer_offsets}, and written only by the broker ({@link InternalTopics}).
 *
 * <p>Records are keyed; the latest of a key wins and a null value (tombstone) deletes it. Key and value are UTF-8
 * JSON:
 *
 * <pre>
 *   ["group", group]                   {"earliest": share.auto.offset.reset is earliest}
 *   ["share", group, topic, partition] {"start_offset": s, "end_offset": e, "state_epoch": n,
 *                                       "batches": [{"first": o, "last": o, "state": "ACKNOWLEDGED", "deliveries": n}]}
 *   ["member", group, member]          {"topics": [topic], "session_timeout_ms": n}
 *   ["load", broker]                   {"leader_epoch": n} (a new keeper's marker, see {@link #load})
 * </pre>
 *
 * <p>The keeper is the leader of the topic's partition ({@link #keeper}), as KIP-932's share coordinator is, and it
 * writes at the leader epoch it loaded at ({@link BrokerService#produceAtLeaderEpoch}): once leadership moved, the
 * partition refuses a former keeper's writes (FENCED_LEADER_EPOCH), and since nothing is answered before its write
 * is committed, two keepers never both hand out a record or take its acknowledgement.
 *
 * Each "share" record is a whole snapshot of a share-partition ({@link SharePartition#snapshot}), at most
 * {@code group.share.partition.max.record.locks} offsets in runs, so compaction alone bounds the topic: it keeps the
 * latest snapshot per key (Kafka writes deltas between snapshots; a whole snapshot is small enough here).
 *
 * <p>Records are {@link OffsetsTopic.Entry}s, as {@code __consumer_offsets}' are. Writes are acks=all and go out one batch at a time: the snapshots asked for while one is in flight are
 * coalesced (a later snapshot of a key replaces an earlier one) into the next batch, which keeps a key's records in
 * the order they were taken. Thread-safe.
 */
final class ShareStateTopic {
  static final String NAME = InternalTopics.SHARE_GROUP_STATE;
  static final TopicPartition PARTITION = new TopicPartition(NAME, 0);
  private static final int LOAD_FETCH_BYTES = 1 << 20;
  /** Compacted; only closed segments are, so they roll at 4 MiB or after an hour, as {@code __consumer_offsets}'. */
  private static final Map<String, String> CONFIGS = Map.of("cleanup.policy", "compact",
      "segment.bytes", Integer.toString(4 << 20), "segment.ms", "3600000");

  private final BrokerService service;
  private final WorkerExecutor workers;
  /** The records asked for since the batch in flight was sent, by key; and who waits for them. Guarded by this. */
  private Map<String, Entry> pending = new LinkedHashMap<>();
  private Promise<Void> pendingWritten = Promise.promise();
  /** The leader epoch the pending records are to be written at. Guarded by this. */
  private int pendingEpoch;
  private boolean writing;

  /** The broker that keeps the share groups (the partition's leader) and the leader epoch it leads at. */
  record Keeper(int broker, int leaderEpoch) {
  }

  ShareStateTopic(BrokerService service, WorkerExecutor workers) {
    this.service = service;
    this.workers = workers;
  }

  /**
   * Who keeps the share groups now, as this broker's metadata says: the leader of the topic's partition (created
   * first when missing). COORDINATOR_NOT_AVAILABLE while it has no leader.
   */
  static Future<Keeper> keeper(BrokerService service) {
    return ensureCreated(service).compose(v -> service.describeTopic(RequestContext.SELF, NAME)).compose(t -> {
      TopicMetadata.PartitionMetadata p = t.partitions().get(0);
      return p.leader() < 0 ? Future.failedFuture(new SluiceException(ErrorCode.COORDINATOR_NOT_AVAILABLE, NAME
          + " has no leader now, so no broker keeps the share groups; retry"))
          : Future.succeededFuture(new Keeper(p.leader(), p.leaderEpoch()));
    });
  }

  /** Creates the topic unless it exists; while too few brokers are up for its factor, COORDINATOR_NOT_AVAILABLE. */
  static Future<Void> ensureCreated(BrokerService service) {
    return service.describeTopic(RequestContext.SELF, NAME).<Void>mapEmpty().recover(t -> isCode(t,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        ? service.describeCluster(RequestContext.SELF)
            .compose(c -> service.createTopic(RequestContext.SELF, new NewTopic(NAME, 1,
                c.internalTopicReplicationFactor(-1), CONFIGS)))
            .<Void>mapEmpty()
            .recover(t2 -> isCode(t2, ErrorCode.TOPIC_ALREADY_EXISTS) ? Future.succeededFuture()
                : Future.failedFuture(new SluiceException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "No share group"
                    + " keeper yet: " + NAME + " cannot be created (" + t2.getMessage() + "); retry", t2)))
        : Future.failedFuture(t));
  }

  private static boolean isCode(Throwable t, ErrorCode code) {
    return t instanceof SluiceException e && e.errorCode() == code;
  }

  static JsonArray groupKey(String group) {
    return new JsonArray().add("group").add(group);
  }

  static JsonArray shareKey(String group, TopicPartition tp) {
    return new JsonArray().add("share").add(group).add(tp.topic()).add(tp.partition());
  }

  static JsonArray memberKey(String group, String member) {
    return new JsonArray().add("member").add(group).add(member);
  }

  /**
   * Writes {@code entries} at {@code leaderEpoch} (the keeper's: refused once the partition is led at another),
   * acks=all; completes once they (or later records of their keys) are committed. Records still waiting for an older
   * epoch's batch fail, unwritten: their keeper lost the partition since.
   */
  Future<Void> write(List<Entry> entries, int leaderEpoch) {
    if (entries.isEmpty()) {
      return Future.succeededFuture();
    }
    synchronized (this) {
      if (leaderEpoch != pendingEpoch && !pending.isEmpty()) {
        pendingWritten.fail(new SluiceException(ErrorCode.NOT_COORDINATOR, "The share group state was to be"
            + " written at leader epoch " + pendingEpoch + " of " + NAME + ", and its keeper loaded it again at "
            + leaderEpoch + " since: nothing was written"));
        pending = new LinkedHashMap<>();
        pendingWritten = Promise.promise();
      }
      pendingEpoch = leaderEpoch;
      entries.forEach(e -> pending.put(e.key().encode(), e));
      Future<Void> written = pendingWritten.future();
      if (!writing) {
        flush();
      }
      return written;
    }
  }

  /** Sends the pending records as one batch; the next batch goes once this one is answered. Holds this. */
  private void flush() {
    List<Entry> batch = List.copyOf(pending.values());
    Promise<Void> done = pendingWritten;
    pending = new LinkedHashMap<>();
    pendingWritten = Promise.promise();
    writing = true;
    produce(batch, pendingEpoch).onComplete(ar -> {
      done.handle(ar);
      synchronized (this) {
        writing = false;
        if (!pending.isEmpty()) {
          flush();
        }
      }
    });
  }

  private Future<Void> produce(List<Entry> entries, int leaderEpoch) {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE);
    long now = System.currentTimeMillis();
    for (Entry e : entries) {
      builder.append(now, e.key().toBuffer().getBytes(), e.value() == null ? null : e.value().toBuffer().getBytes(),
          List.of());
    }
    return service.produceAtLeaderEpoch(RequestContext.SELF, PARTITION, builder.build(), Acks.ALL, leaderEpoch)
        .mapEmpty();
  }

  /**
   * Hands every record of the topic to {@code sink}, in order, as a new keeper loads it. A marker is written first
   * (acks=all) and the topic read up to it: its acknowledgement means every earlier record is committed, whereas a
   * new leader's high watermark may still lag the records its predecessor acknowledged.
   */
  Future<Void> load(Keeper keeper, Consumer<Entry> sink) {
    return write(List.of(new Entry(new JsonArray().add("load").add(keeper.broker()),
        new JsonObject().put("leader_epoch", keeper.leaderEpoch()))), keeper.leaderEpoch())
        .compose(v -> service.offsets(RequestContext.SELF, PARTITION))
        .compose(range -> loadFrom(range.beginningOffset(), range.endOffset(), sink));
  }

  private Future<Void> loadFrom(long offset, long end, Consumer<Entry> sink) {
    if (offset >= end) {
      return Future.succeededFuture();
    }
    return service.fetch(RequestContext.SELF, new FetchRequest(PARTITION, offset, LOAD_FETCH_BYTES, 0, 0))
        .compose(result -> workers.executeBlocking(() -> FetchedRecords.decode(result, offset), false))
        .compose(decoded -> {
          if (decoded.nextOffset() <= offset) {
            return Future.failedFuture(new SluiceException(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "Reading " + NAME
                + " stopped at " + offset + ", short of " + end + "; retry"));
          }
          decoded.records().stream().filter(r -> r.offset() < end).forEach(r -> OffsetsTopic.decodeInto(r, NAME, sink));
          return loadFrom(decoded.nextOffset(), end, sink);
        });
  }

  static JsonObject encode(SharePartition.Snapshot s) {
    JsonArray batches = new JsonArray();
    s.batches().forEach(b -> {
      JsonObject o = new JsonObject().put("first", b.firstOffset()).put("last", b.lastOffset())
          .put("state", b.state().name()).put("deliveries", b.deliveryCount());
      if (b.member() != null) {
        o.put("member", b.member()).put("lock_expires_ms", b.lockExpiresMs());
      }
      batches.add(o);
    });
    return new JsonObject().put("start_offset", s.startOffset()).put("end_offset", s.endOffset())
        .put("state_epoch", s.stateEpoch()).put("batches", batches);
  }

  static SharePartition.Snapshot decode(JsonObject v) {
    List<SharePartition.Batch> batches = new ArrayList<>();
    v.getJsonArray("batches").forEach(o -> {
      JsonObject b = (JsonObject) o;
      batches.add(new SharePartition.Batch(b.getLong("first"), b.getLong("last"),
          SharePartition.State.valueOf(b.getString("state")), b.getInteger("deliveries"), b.getString("member"),
          b.getLong("lock_expires_ms", 0L)));
    });
    return new SharePartition.Snapshot(v.getLong("start_offset"), v.getLong("end_offset"),
        v.getInteger("state_epoch"), batches);
  }
}
