package io.sluice.streams;

import io.sluice.api.FetchRequest;
import io.sluice.api.TopicPartition;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.RocksKv;
import io.sluice.streams.state.StoreState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Opens a task's store (an empty RocksDB on the {@code sluice-streams} pool) and fills it from its changelog before
 * the task processes: this task's records (by their task header) from where the task's changelog began to the
 * position of its checkpoint. Records past that position belong to inputs after the checkpoint, which the task
 * replays, so the restored store is exactly the state at the checkpoint's input offset. Progress goes to the task's
 * status ({@code restore}) as it goes.
 */
final class StoreRestorer {
  private static final int FETCH_MAX_BYTES = 1 << 20;

  private final TaskDeps deps;
  private final TaskState state;
  private final byte[] taskId;
  private final Runnable progress;

  StoreRestorer(TaskDeps deps, TaskState state, byte[] taskId, Runnable progress) {
    this.deps = deps;
    this.state = state;
    this.taskId = taskId;
    this.progress = progress;
  }

  /** Opens and restores the store of {@code agg} whose changelog partition is {@code changelog}. */
  Future<TaskStores> restore(Step.Aggregate agg, TopicPartition changelog, Path dir) {
    long from = state.storesFrom.get(changelog);
    long to = state.positions.get(changelog);
    state.restore = new JsonObject().put("state", "RESTORING").put("records", 0L).put("from", from).put("to", to)
        .put("position", from);
    return deps.blocking(() -> new StoreState(agg.store(), RocksKv.openEmpty(dir)))
        .compose(st -> fetch(st, changelog, from, to)
            .compose(v -> deps.blocking(() -> {
              Aggregates.rebuild(agg, st);
              return st;
            }))
            .map(s -> {
              state.restore.put("state", "DONE").put("position", to);
              TaskStores stores = new TaskStores();
              stores.add(s);
              return stores;
            })
            .onFailure(t -> deps.blocking(() -> {
              st.close();
              return null;
            })));
  }

  private Future<Void> fetch(StoreState st, TopicPartition tp, long from, long to) {
    if (from >= to) {
      return Future.succeededFuture();
    }
    return deps.cluster().fetch(deps.caller(), new FetchRequest(tp, from, FETCH_MAX_BYTES, 1, 500))
        .compose(r -> deps.blocking(() -> {
          List<Kv.Change> changes = new ArrayList<>();
          long next = from;
          ByteBuffer bytes = r.batches().readBytes();
          for (RecordBatch b : RecordBatches.split(bytes)) {
            for (Record rec : b.isControlBatch() ? List.<Record>of() : b.records()) {
              if (rec.offset() < from || rec.offset() >= to) {
                continue;
              }
              next = rec.offset() + 1;
              if (own(rec)) {
                changes.add(new Kv.Change(rec.key(), rec.value()));
              }
            }
            next = Math.max(next, Math.min(to, b.lastOffset() + 1));
          }
          st.kv().write(changes);
          state.restore.put("records", state.restore.getLong("records") + changes.size());
          return Math.max(next, Math.min(to, r.nextOffset()));
        }))
        .compose(next -> {
          if (next <= from) {
            return Future.failedFuture(new IllegalStateException("The restore of " + tp + " found nothing at " + from
                + " below " + to + "; retrying"));
          }
          state.restore.put("position", next);
          progress.run();
          return fetch(st, tp, next, to);
        });
  }

  /**
   * Whether a changelog record is this task's. Only one task writes a changelog partition (several inputs always go
   * through the repartition topic), so a record without the task header is this task's too.
   */
  private boolean own(Record rec) {
    for (Header h : rec.headers()) {
      if (h.key().equals(StreamTask.TASK_HEADER)) {
        return Arrays.equals(h.value(), taskId);
      }
    }
    return true;
  }
}
