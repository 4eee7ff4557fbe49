package io.sluice.streams;

import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.TopicPartition;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.RocksKv;
import io.sluice.streams.state.StoreState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A standby copy of one stream task's store ({@code "standby_replicas": 1}), kept on a broker that follows the task's
 * input partition in sync (the likely next leader): it tails the task's changelog partition into a RocksDB store of
 * its own, applying what {@link StandbyApplier} lets through (never past the task's latest durable checkpoint). When
 * this broker becomes the partition's leader, the task starting here takes the store over ({@link #handOver}) and
 * restores only the changelog's tail from {@link Handover#from}, instead of all of it.
 *
 * <p><b>Kept across restarts.</b> The store is kept in the broker's state directory (RocksDB with its write-ahead
 * log), and every write of applied records carries, in the same atomic batch, where the standby resumes
 * ({@link #POSITION_KEY}: the stream's incarnation, where the task's changelog records begin, the applier's
 * {@link StandbyApplier#resumeFrom} and bound). A broker that restarts, cleanly or after {@code kill -9}, and keeps the
 * standby again resumes from there instead of reading the changelog from its start; the store and its position
 * cannot disagree, as each write holds both. A store of another incarnation of the stream, or of another start of
 * its changelog records, is wiped. A standby that stops because it is no longer wanted deletes its store.
 *
 * <p>Its position and lag go to the ephemeral znode {@code /streams/standbys/<stream>/<topic>-<p>} every commit
 * interval, shown in the stream's status. Threads: the loop runs on one Vert.x context; RocksDB on the pool.
 */
final class StandbyTask {
  private static final System.Logger LOG = System.getLogger(StandbyTask.class.getName());
  private static final int FETCH_MAX_BYTES = 1 << 20;
  private static final long RETRY_MS = 200;

  /**
   * Where the standby's store resumes, written with every batch it applies: a key below every key a store holds
   * (their first byte is a letter, {@link StoreState}), removed when the store is handed over.
   */
  static final byte[] POSITION_KEY = "\0standby.position".getBytes(StandardCharsets.US_ASCII);

  /** A store handed to the task: open, filled with the task's changelog records before {@code from}. */
  record Handover(StoreState store, long from) {
  }

  private final TaskDeps deps;
  private final String stream;
  private final StreamDefinition definition;
  private final TopicPartition input;
  private final TopicPartition changelog;
  private final Promise<Void> done = Promise.promise();
  private volatile boolean stopping;
  private volatile boolean handingOver;
  /** Whether a stop keeps the store for the next run (the broker stopping) or deletes it (not wanted any more). */
  private volatile boolean keep;
  private RocksKv kv;
  private StoreState store;
  private long incarnation;
  private long from;
  /** Where this run began reading, when it resumed a kept store; -1 if it began from the changelog's start. */
  private volatile long resumedFrom = -1;
  private StandbyApplier applier;
  private long lastStatusMs;
  private volatile long endOffset;

  StandbyTask(TaskDeps deps, String stream, StreamDefinition definition, TopicPartition input) {
    this.deps = deps;
    this.stream = stream;
    this.definition = definition;
    this.input = input;
    this.changelog = new TopicPartition(definition.changelogTopic(), input.partition());
  }

  String taskId() {
    return stream + "/" + input.topic() + "/" + input.partition();
  }

  /** Starts; the future completes when the standby ends (stopped, handed over, or failed). */
  Future<Void> run() {
    deps.context().runOnContext(v -> init().onSuccess(x -> loop()).onFailure(this::fail));
    return done.future();
  }

  private Future<Void> init() {
    Path dir = deps.stateDir().resolve(stream).resolve(StreamTask.id(input))
        .resolve(definition.store() + ".standby");
    return deps.blocking(() -> {
      JsonObject checkpoint = deps.store().task(stream, StreamTask.id(input));
      Long start = checkpoint == null ? null : TaskState.from(checkpoint).storesFrom.get(changelog);
      if (start == null) {
        throw new IllegalStateException("The task has not started yet: no changelog position to follow");
      }
      from = start;
      incarnation = deps.store().get(stream).incarnation();
      kv = RocksKv.openKept(dir, deps.stateMemory());
      JsonObject kept = kept(kv.get(POSITION_KEY));
      if (kept == null) {
        kv.close(); // another incarnation's, or none: start afresh
        kv = RocksKv.openKept(dir, deps.stateMemory());
      }
      store = new StoreState(definition.store(), kv);
      return kept;
    }).compose(kept -> kept == null ? Future.succeededFuture(fresh()) : resume(kept));
  }

  /** The kept position if it belongs to this incarnation of the stream and start of the changelog, else null. */
  private JsonObject kept(byte[] position) {
    if (position == null) {
      return null;
    }
    JsonObject p = new JsonObject(new String(position, StandardCharsets.UTF_8));
    return p.getLong("incarnation") == incarnation && p.getLong("from") == from ? p : null;
  }

  private Void fresh() {
    applier = new StandbyApplier(taskId().getBytes(StandardCharsets.UTF_8), from);
    return null;
  }

  /** Resumes at the kept position if the changelog still holds it; else wipes the store and starts afresh. */
  private Future<Void> resume(JsonObject kept) {
    long position = kept.getLong("position");
    return deps.cluster().offsets(deps.caller(), changelog).compose(r -> {
      if (position >= r.beginningOffset() && position <= r.endOffset()) {
        applier = new StandbyApplier(taskId().getBytes(StandardCharsets.UTF_8), position, kept.getLong("bound"));
        resumedFrom = position;
        LOG.log(Level.INFO, "Standby of " + taskId() + " resumes its kept store at changelog offset " + position);
        return Future.succeededFuture();
      }
      return deps.blocking(() -> {
        Path dir = kv.dir();
        kv.close();
        kv = RocksKv.openKept(dir, deps.stateMemory());
        store = new StoreState(definition.store(), kv);
        return fresh();
      });
    });
  }

  /** The kept position as of the records applied so far: written in the same batch as they are. */
  private Kv.Change positionRecord() {
    JsonObject p = new JsonObject().put("incarnation", incarnation).put("from", from)
        .put("position", applier.resumeFrom()).put("bound", applier.bound());
    return new Kv.Change(POSITION_KEY, p.encode().getBytes(StandardCharsets.UTF_8));
  }

  private void loop() {
    if (stopping) {
      finish();
      return;
    }
    long from = applier.position();
    fetch(from)
        .compose(r -> r == null ? Future.succeededFuture() : deps.blocking(() -> apply(r, from)))
        .compose(v -> maybeStatus())
        .onSuccess(v -> loop())
        .onFailure(this::fail);
  }

  /**
   * A read of the changelog; null, after a pause, when it failed: its leader may be moving (often it is the broker
   * whose death makes this standby's store needed), and the loop tries again.
   */
  private Future<FetchResult> fetch(long from) {
    return deps.cluster().fetch(deps.caller(), new FetchRequest(changelog, from, FETCH_MAX_BYTES, 1, 500))
        .recover(t -> {
          LOG.log(Level.DEBUG, "Standby of " + taskId() + ": reading " + changelog + " failed; retrying: " + t);
          Promise<FetchResult> retry = Promise.promise();
          deps.context().owner().setTimer(RETRY_MS, id -> retry.complete(null));
          return retry.future();
        });
  }

  private Void apply(FetchResult r, long from) {
    List<Record> records = new ArrayList<>();
    long next = from;
    ByteBuffer bytes = r.batches().readBytes();
    for (RecordBatch b : RecordBatches.split(bytes)) {
      next = Math.max(next, b.lastOffset() + 1);
      if (!b.isControlBatch()) {
        b.records().forEach(records::add);
      }
    }
    List<Kv.Change> changes = new ArrayList<>(applier.accept(records, Math.max(next, r.nextOffset())));
    changes.add(positionRecord());
    store.kv().write(changes);
    endOffset = r.highWatermark();
    return null;
  }

  private Future<Void> maybeStatus() {
    long now = System.currentTimeMillis(); // status pacing only
    if (now - lastStatusMs < deps.commitIntervalMs()) {
      return Future.succeededFuture();
    }
    lastStatusMs = now;
    JsonObject status = status();
    return deps.blocking(() -> {
      deps.store().writeStandby(stream, StreamTask.id(input), status);
      return null;
    });
  }

  /** {"broker", "position", "lag", "held_back"}: where the standby's read of the changelog is. */
  JsonObject status() {
    long position = applier == null ? 0 : applier.position();
    JsonObject status = new JsonObject().put("broker", deps.brokerId()).put("position", position)
        .put("lag", Math.max(0, endOffset - position)).put("held_back", applier == null ? 0 : applier.heldBack());
    return resumedFrom < 0 ? status : status.put("resumed_from", resumedFrom);
  }

  /** Asks the standby to stop at its next clean point; its store is deleted. */
  Future<Void> stop() {
    stopping = true;
    return done.future().recover(t -> Future.succeededFuture());
  }

  /** Asks the standby to stop at its next clean point, keeping its store for the next run (the broker stopping). */
  Future<Void> stopKeeping() {
    keep = true;
    return stop();
  }

  /**
   * Stops the standby at a clean point and hands its open store over (the caller closes it); null if it failed or
   * had not opened its store.
   */
  Future<Handover> handOver() {
    handingOver = true;
    stopping = true;
    return done.future().map(v -> store == null ? null : new Handover(store, applier.resumeFrom()))
        .recover(t -> Future.succeededFuture(null));
  }

  private void finish() {
    Future<Void> release = deps.blocking(() -> {
      deps.store().deleteStandby(stream, StreamTask.id(input));
      if (store == null) {
        return null;
      }
      if (handingOver) {
        kv.write(List.of(new Kv.Change(POSITION_KEY, null))); // the task's store holds the content alone
      } else if (keep) {
        kv.closeKeeping();
      } else {
        store.close();
      }
      return null;
    });
    release.onComplete(ar -> done.tryComplete());
  }

  private void fail(Throwable t) {
    LOG.log(Level.WARNING, "Standby of stream task " + taskId() + " failed (it starts again): " + t.getMessage());
    deps.blocking(() -> {
      deps.store().deleteStandby(stream, StreamTask.id(input));
      if (store != null) {
        store.close();
      }
      return null;
    }).onComplete(ar -> done.tryFail(t));
  }
}
