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
 * <p>Its position and lag go to the ephemeral znode {@code /streams/standbys/<stream>/<topic>-<p>} every commit
 * interval, shown in the stream's status. Threads: the loop runs on one Vert.x context; RocksDB on the pool.
 */
final class StandbyTask {
  private static final System.Logger LOG = System.getLogger(StandbyTask.class.getName());
  private static final int FETCH_MAX_BYTES = 1 << 20;
  private static final long RETRY_MS = 200;

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
  private StoreState store;
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
      Long from = checkpoint == null ? null : TaskState.from(checkpoint).storesFrom.get(changelog);
      if (from == null) {
        throw new IllegalStateException("The task has not started yet: no changelog position to follow");
      }
      applier = new StandbyApplier(taskId().getBytes(StandardCharsets.UTF_8), from);
      store = new StoreState(definition.store(), RocksKv.openEmpty(dir, deps.stateMemory()));
      return null;
    });
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
    List<Kv.Change> changes = applier.accept(records, Math.max(next, r.nextOffset()));
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
    return new JsonObject().put("broker", deps.brokerId()).put("position", position)
        .put("lag", Math.max(0, endOffset - position)).put("held_back", applier == null ? 0 : applier.heldBack());
  }

  /** Asks the standby to stop at its next clean point; its store is deleted. */
  Future<Void> stop() {
    stopping = true;
    return done.future().recover(t -> Future.succeededFuture());
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
      if (!handingOver && store != null) {
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
