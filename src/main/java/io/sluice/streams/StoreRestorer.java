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
 * the task processes: from where the task's changelog records began to the changelog's end, this task's records (by
 * their task header) of the inputs before the checkpoint's offset (by their sequence, {@code input offset << 16 |
 * index}). Records of later inputs were written before a crash and are made again by the replay (the output leader
 * drops them as already written), so the restored store is exactly the state at the checkpoint's input offset.
 * Progress goes to the task's status ({@code restore}) as it goes.
 */
final class StoreRestorer {
  private static final int FETCH_MAX_BYTES = 1 << 20;

  private final TaskDeps deps;
  private final TaskState state;
  private final byte[] taskId;
  private final Runnable progress;
  private long startedNanos;

  StoreRestorer(TaskDeps deps, TaskState state, byte[] taskId, Runnable progress) {
    this.deps = deps;
    this.state = state;
    this.taskId = taskId;
    this.progress = progress;
  }

  /**
   * Opens and restores store {@code store} of {@code keyed} (the aggregation or join that keeps it) whose changelog
   * partition is {@code changelog}: from the beginning of the task's records into an empty store in {@code dir}, or,
   * given a standby's store ({@code standby} not null), only the tail from where the standby's content ends.
   */
  Future<TaskStores> restore(Step keyed, String store, TopicPartition changelog, Path dir,
      StandbyTask.Handover standby) {
    long from = standby != null ? Math.max(standby.from(), state.storesFrom.get(changelog))
        : state.storesFrom.get(changelog);
    long before = state.offset;
    return Retrying.call(deps.context().owner(), () -> deps.cluster().offsets(deps.caller(), changelog)).compose(r -> {
      long to = r.endOffset();
      state.restore = new JsonObject().put("state", "RESTORING").put("records", 0L).put("from", from).put("to", to)
          .put("position", from).put("standby", standby != null).put("bytes", 0L).put("ms", 0L);
      startedNanos = System.nanoTime(); // status only
      return restore(keyed, changelog, standby != null ? () -> standby.store()
          : () -> new StoreState(store, RocksKv.openEmpty(dir, deps.stateMemory())), from, to, before);
    });
  }

  private Future<TaskStores> restore(Step keyed, TopicPartition changelog,
      java.util.concurrent.Callable<StoreState> open, long from, long to, long before) {
    return deps.blocking(open)
        .compose(st -> fetch(st, changelog, from, to, before)
            .compose(v -> deps.blocking(() -> {
              rebuild(keyed, st);
              return st;
            }))
            .map(s -> {
              state.restore.put("state", "DONE").put("position", to)
                  .put("ms", (System.nanoTime() - startedNanos) / 1_000_000);
              TaskStores stores = new TaskStores();
              stores.add(s);
              return stores;
            })
            .onFailure(t -> deps.blocking(() -> {
              st.close();
              return null;
            })));
  }

  /** Rebuilds the local indexes (and stream time) of a restored store from its content. Blocking: a worker. */
  static void rebuild(Step keyed, StoreState st) {
    if (keyed instanceof Step.Aggregate a) {
      Aggregates.rebuild(a, st);
    } else if (keyed instanceof Step.Join j) {
      Joins.rebuild(j, st);
    }
  }

  private Future<Void> fetch(StoreState st, TopicPartition tp, long from, long to, long before) {
    if (from >= to) {
      return Future.succeededFuture();
    }
    return Retrying.call(deps.context().owner(),
            () -> deps.cluster().fetch(deps.caller(), new FetchRequest(tp, from, FETCH_MAX_BYTES, 1, 500)))
        .compose(r -> deps.blocking(() -> {
          List<Kv.Change> changes = new ArrayList<>();
          long next = from;
          ByteBuffer bytes = r.batches().readBytes();
          state.restore.put("bytes", state.restore.getLong("bytes") + bytes.remaining());
          for (RecordBatch b : RecordBatches.split(bytes)) {
            for (Record rec : b.isControlBatch() ? List.<Record>of() : b.records()) {
              if (rec.offset() < from || rec.offset() >= to) {
                continue;
              }
              next = rec.offset() + 1;
              if (own(rec, before)) {
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
          return fetch(st, tp, next, to, before);
        });
  }

  /**
   * Whether a changelog record is this task's, of an input before {@code before}. Only one task writes a changelog
   * partition (several inputs always go through the repartition topic); its records carry the task and sequence
   * headers the writer adds.
   */
  private boolean own(Record rec, long before) {
    boolean mine = false;
    long seq = -1;
    for (Header h : rec.headers()) {
      if (h.key().equals(TaskWriter.TASK_HEADER)) {
        mine = Arrays.equals(h.value(), taskId);
      } else if (h.key().equals(RecordBatch.SEQUENCE_HEADER)) {
        seq = Long.parseLong(new String(h.value(), java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return mine && seq >= 0 && seq >>> 16 < before;
  }
}
