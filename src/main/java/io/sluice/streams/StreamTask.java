package io.sluice.streams;

import io.sluice.api.Acks;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.record.RecordBatches;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stream task: one input partition of one stream, run on the broker that leads that partition (its fetches are
 * local reads). A loop of fetch, process (CEL on the {@code sluice-streams} pool), write every output partition's
 * records with {@code acks=all}, and every {@code streams.commit.interval.ms} a checkpoint ({@link TaskState}).
 *
 * <p><b>Exactly once without transactions.</b> Every output record carries the headers {@code sluice.streams.task}
 * ({@code <stream>/<topic>/<partition>}) and {@code sluice.streams.seq} ({@code offset << 16 | index}: the input
 * offset and the output's index among that input's outputs), so the sequence grows along the input. A task writes
 * each output partition's records in order, one request at a time, and acts only on acknowledgements. After a crash
 * its successor starts from the checkpoint and first reads each output partition from its checkpointed position to
 * the end, taking the highest sequence of this task there; replayed outputs at or below it are already written and
 * are skipped. Processing is deterministic (record time, never the wall clock; a null key's partition is the input's
 * partition number), so a replayed input makes the same outputs with the same sequences. Any write failure ends the
 * task, and a restart rebuilds this state from the logs. {@code at_least_once} skips the scan.
 *
 * <p>Threads: the loop runs on one Vert.x context; decoding and evaluation run on the pool.
 */
final class StreamTask {
  private static final System.Logger LOG = System.getLogger(StreamTask.class.getName());
  static final String TASK_HEADER = "sluice.streams.task";
  static final String SEQ_HEADER = "sluice.streams.seq";
  private static final int FETCH_MAX_BYTES = 1 << 20;
  private static final int BATCH_MAX_BYTES = 256 * 1024;

  private final TaskDeps deps;
  private final String stream;
  private final StreamDefinition definition;
  private final TopicPartition input;
  private final String taskId;
  private final byte[] taskIdBytes;
  private final Processor processor;
  private final Map<String, Integer> partitionCounts = new HashMap<>();
  private final Map<TopicPartition, Long> writtenSeq = new HashMap<>();
  private final Promise<Void> done = Promise.promise();
  private volatile TaskState state;
  private volatile boolean stopping;
  private volatile TaskStores stores;
  private long lastCommitMs;
  private long inAtCommit;
  private long outAtCommit;

  StreamTask(TaskDeps deps, String stream, long version, StreamDefinition definition, TopicPartition input) {
    this.deps = deps;
    this.stream = stream;
    this.definition = definition;
    this.input = input;
    this.taskId = stream + "/" + input.topic() + "/" + input.partition();
    this.taskIdBytes = taskId.getBytes(StandardCharsets.UTF_8);
    this.processor = new Processor(definition, deps.maxOutputsPerRecord());
    this.state = new TaskState();
    this.state.version = version;
  }

  static String id(TopicPartition tp) {
    return tp.topic() + "-" + tp.partition();
  }

  /**
   * Starts; the future completes when the task ends: after {@link #stop} (clean, checkpointed) or failed with the
   * error that ended it (its status says FAILED). {@code restarts}: automatic restarts so far.
   */
  Future<Void> run(long restarts) {
    TaskMeters meters = TaskMeters.register(deps.meters(), stream, input, this);
    done.future().onComplete(ar -> meters.remove());
    deps.context().runOnContext(v -> init(restarts)
        .onSuccess(x -> loop())
        .onFailure(this::fail));
    return done.future();
  }

  /** Its checkpoint and status as this broker last saw them (read by its meters from any thread). */
  TaskState state() {
    return state;
  }

  /** Asks the task to stop at its next clean point (after its writes in flight, with a checkpoint). */
  Future<Void> stop() {
    stopping = true;
    return done.future().recover(t -> Future.succeededFuture());
  }

  private Future<Void> init(long restarts) {
    long version = state.version;
    return deps.blocking(() -> TaskState.from(deps.store().task(stream, id(input)))).compose(loaded -> {
      state = loaded;
      state.version = version;
      state.state = "RUNNING";
      state.broker = deps.brokerId();
      state.lastError = restarts > 0 ? loaded.lastError : null;
      state.restarts = restarts;
      return outputs();
    }).compose(v -> {
      TopicPartition changelog = changelogPartition();
      if (changelog != null) {
        state.storesFrom.putIfAbsent(changelog, state.positions.get(changelog));
      }
      return startOffset();
    }).compose(v -> commit()).compose(v -> definition.exactlyOnce() ? scan()
        : Future.succeededFuture()).compose(v -> openStores());
  }

  /** The partition of the changelog this task writes, or null if it keeps no state. */
  private TopicPartition changelogPartition() {
    if (!processor.ownsState(input.topic().equals(definition.repartitionTopic()))) {
      return null;
    }
    return new TopicPartition(definition.changelogTopic(), input.partition());
  }

  /** Restores the task's store from its changelog before it processes (status: RESTORING, with progress). */
  private Future<Void> openStores() {
    TopicPartition changelog = changelogPartition();
    if (changelog == null) {
      return Future.succeededFuture();
    }
    if (partitionCounts.getOrDefault(changelog.topic(), 0) <= changelog.partition()) {
      return Future.failedFuture(new IllegalStateException("The changelog topic " + changelog.topic() + " has "
          + partitionCounts.get(changelog.topic()) + " partitions; this task's input partition " + input.partition()
          + " needs one of the same number (recreate the stream, or add partitions to the changelog)"));
    }
    state.state = "RESTORING";
    java.nio.file.Path dir = deps.stateDir().resolve(stream).resolve(id(input)).resolve(definition.aggregate()
        .store());
    return new StoreRestorer(deps, state, taskIdBytes, () -> maybeCommit())
        .restore(definition.aggregate(), changelog, dir)
        .compose(s -> {
          stores = s;
          state.state = "RUNNING";
          return commit();
        });
  }

  /** The output topics' partition counts; every output partition gets a scan position before the first write. */
  private Future<Void> outputs() {
    List<Future<TopicMetadata>> all = new ArrayList<>();
    for (String topic : definition.outputTopics()) {
      all.add(deps.cluster().metadataForProduce(deps.caller(), topic));
    }
    return Future.all(all).compose(f -> {
      List<Future<?>> ends = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        TopicMetadata md = all.get(i).result();
        partitionCounts.put(md.name(), md.partitionCount());
        for (int p = 0; p < md.partitionCount(); p++) {
          TopicPartition tp = new TopicPartition(md.name(), p);
          if (!state.positions.containsKey(tp)) {
            ends.add(deps.cluster().offsets(deps.caller(), tp).onSuccess(r -> state.positions.put(tp,
                r.endOffset())));
          }
        }
      }
      return Future.all(ends).mapEmpty();
    });
  }

  private Future<Void> startOffset() {
    return deps.cluster().offsets(deps.caller(), input).map(r -> {
      if (state.offset < 0) {
        // The repartition topic holds only what the stream's own tasks wrote: read all of it.
        boolean latest = definition.startLatest() && !input.topic().equals(definition.repartitionTopic());
        state.offset = latest ? r.endOffset() : r.beginningOffset();
      } else if (state.offset < r.beginningOffset()) {
        state.offset = r.beginningOffset(); // retention deleted what the task had not read
      }
      state.highWatermark = r.endOffset();
      return null;
    });
  }

  /** Reads every output partition from its checkpointed position: the sequences this task already wrote. */
  private Future<Void> scan() {
    List<Future<?>> scans = new ArrayList<>();
    state.positions.forEach((tp, from) -> scans.add(deps.cluster().offsets(deps.caller(), tp)
        .compose(r -> scanPartition(tp, Math.max(from, r.beginningOffset()), r.endOffset()))));
    return Future.all(scans).mapEmpty();
  }

  private Future<Void> scanPartition(TopicPartition tp, long from, long end) {
    if (from >= end) {
      return Future.succeededFuture();
    }
    return deps.cluster().fetch(deps.caller(), new FetchRequest(tp, from, FETCH_MAX_BYTES, 1, 500))
        .compose(r -> deps.blocking(() -> {
          long next = from;
          for (Record rec : records(r, from)) {
            next = rec.offset() + 1;
            long seq = ownSeq(rec);
            if (seq >= 0) {
              writtenSeq.merge(tp, seq, Math::max);
            }
          }
          return Math.max(next, r.nextOffset());
        }))
        .compose(next -> {
          if (next <= from) {
            // A scan that stops short could miss this task's records and write them twice: fail and retry instead.
            return Future.failedFuture(new IllegalStateException("The scan of " + tp + " for this task's records"
                + " found nothing at " + from + " below " + end + "; retrying"));
          }
          return scanPartition(tp, next, end);
        });
  }

  private long ownSeq(Record rec) {
    byte[] task = null;
    byte[] seq = null;
    for (Header h : rec.headers()) {
      if (h.key().equals(TASK_HEADER)) {
        task = h.value();
      } else if (h.key().equals(SEQ_HEADER)) {
        seq = h.value();
      }
    }
    return task != null && seq != null && java.util.Arrays.equals(task, taskIdBytes)
        ? Long.parseLong(new String(seq, StandardCharsets.UTF_8)) : -1;
  }

  private static List<Record> records(FetchResult r, long from) {
    List<Record> out = new ArrayList<>();
    ByteBuffer bytes = r.batches().readBytes();
    for (RecordBatch b : RecordBatches.split(bytes)) {
      if (b.isControlBatch()) {
        continue;
      }
      for (Record rec : b.records()) {
        if (rec.offset() >= from) {
          out.add(rec);
        }
      }
    }
    return out;
  }

  private void loop() {
    if (stopping) {
      finish();
      return;
    }
    long from = state.offset;
    deps.cluster().fetch(deps.caller(), new FetchRequest(input, from, FETCH_MAX_BYTES, 1, 500))
        .compose(r -> deps.blocking(() -> process(r, from)))
        .compose(this::write)
        .compose(v -> maybeCommit())
        .onSuccess(v -> loop())
        .onFailure(this::fail);
  }

  /** What one fetch made: outputs per partition in order, and where the input continues. */
  private record Work(Map<TopicPartition, List<Out>> outputs, long nextOffset, long highWatermark, int in,
      long errors, String lastError, long late) {
  }

  private record Out(long seq, Processor.Output output) {
  }

  private Work process(FetchResult r, long from) throws Exception {
    Map<TopicPartition, List<Out>> outputs = new LinkedHashMap<>();
    long next = Math.max(from, r.nextOffset());
    int in = 0;
    long errors = 0;
    String lastError = null;
    long lateBefore = stores == null ? 0 : stores.lateRecords();
    for (Record rec : records(r, from)) {
      in++;
      next = rec.offset() + 1;
      List<Processor.Output> outs;
      try {
        outs = processor.process(input.topic(), input.partition(), rec, partitionCounts::get, Processor.Tracer.NONE,
            stores);
      } catch (ProcessingException e) {
        errors++;
        lastError = "offset " + rec.offset() + ": " + e.step() + ": " + e.getMessage();
        if (definition.failOnError()) {
          throw new IllegalStateException(lastError, e);
        }
        outs = List.of(deadLetter(rec, e));
      }
      for (int i = 0; i < outs.size(); i++) {
        Processor.Output o = outs.get(i);
        long seq = rec.offset() << 16 | i;
        TopicPartition tp = new TopicPartition(o.topic(), o.partition());
        if (seq > writtenSeq.getOrDefault(tp, -1L)) {
          outputs.computeIfAbsent(tp, k -> new ArrayList<>()).add(new Out(seq, o));
        }
      }
    }
    return new Work(outputs, next, r.highWatermark(), in, errors, lastError,
        stores == null ? 0 : stores.lateRecords() - lateBefore);
  }

  private Processor.Output deadLetter(Record rec, ProcessingException e) {
    List<Header> headers = new ArrayList<>(rec.headers());
    headers.add(Header.of("sluice.streams.stream", stream));
    headers.add(Header.of("sluice.streams.version", Long.toString(state.version)));
    headers.add(Header.of("sluice.streams.step", e.step()));
    headers.add(Header.of("sluice.streams.error", String.valueOf(e.getMessage())));
    headers.add(Header.of("sluice.streams.source.topic", input.topic()));
    headers.add(Header.of("sluice.streams.source.partition", Integer.toString(input.partition())));
    headers.add(Header.of("sluice.streams.source.offset", Long.toString(rec.offset())));
    String dlq = definition.deadLetterTopic();
    return new Processor.Output(dlq, input.partition() % partitionCounts.get(dlq), rec.key(), rec.value(),
        headers, rec.timestamp());
  }

  private Future<Void> write(Work work) {
    List<Future<?>> writes = new ArrayList<>();
    // Positions move only once every output of the fetch is acknowledged: a checkpoint never names a position past
    // records of inputs at or after its offset, which a successor must see in its scan.
    Map<TopicPartition, Long> positions = new HashMap<>();
    work.outputs().forEach((tp, outs) -> writes.add(writePartition(tp, outs, positions)));
    return Future.all(writes).map(v -> {
      positions.forEach((tp, p) -> state.positions.merge(tp, p, Math::max));
      state.offset = work.nextOffset();
      state.highWatermark = work.highWatermark();
      state.recordsIn += work.in();
      work.outputs().values().forEach(l -> state.recordsOut += l.size());
      state.errors += work.errors();
      state.lateRecords += work.late();
      if (work.lastError() != null) {
        state.lastError = work.lastError();
      }
      return null;
    });
  }

  /** Writes one partition's outputs in order, one request at a time (batches of at most 256 KiB). */
  private Future<Void> writePartition(TopicPartition tp, List<Out> outs, Map<TopicPartition, Long> positions) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE);
    int i = 0;
    for (; i < outs.size(); i++) {
      if (b.recordCount() > 0 && b.estimatedSizeInBytes() > BATCH_MAX_BYTES) {
        break;
      }
      Out o = outs.get(i);
      List<Header> headers = new ArrayList<>(o.output().headers().size() + 2);
      for (Header h : o.output().headers()) {
        if (!h.key().equals(TASK_HEADER) && !h.key().equals(SEQ_HEADER)) {
          headers.add(h);
        }
      }
      headers.add(new Header(TASK_HEADER, taskIdBytes));
      headers.add(Header.of(SEQ_HEADER, Long.toString(o.seq())));
      b.append(Math.max(0, o.output().timestamp()), o.output().key(), o.output().value(), headers);
    }
    int count = b.recordCount();
    List<Out> rest = outs.subList(i, outs.size());
    return deps.cluster().produce(deps.caller(), tp, b.build(), Acks.ALL).compose(r -> {
      long last = r.batchBaseOffsets().get(0) + count - 1;
      positions.merge(tp, last + 1, Math::max);
      writtenSeq.merge(tp, outs.get(count - 1).seq(), Math::max);
      return rest.isEmpty() ? Future.succeededFuture() : writePartition(tp, rest, positions);
    });
  }

  private Future<Void> maybeCommit() {
    long now = System.currentTimeMillis(); // status rates and commit pacing only, never processing
    return now - lastCommitMs >= deps.commitIntervalMs() ? commit() : Future.succeededFuture();
  }

  private Future<Void> commit() {
    long now = System.currentTimeMillis();
    if (lastCommitMs > 0) {
      double secs = Math.max(0.001, (now - lastCommitMs) / 1000.0);
      state.inPerSec = (state.recordsIn - inAtCommit) / secs;
      state.outPerSec = (state.recordsOut - outAtCommit) / secs;
    }
    lastCommitMs = now;
    inAtCommit = state.recordsIn;
    outAtCommit = state.recordsOut;
    String json = state.toJson().encode();
    return deps.blocking(() -> {
      deps.store().writeTask(stream, id(input), new io.vertx.core.json.JsonObject(json));
      return null;
    });
  }

  private void finish() {
    state.state = "STOPPED";
    state.inPerSec = 0;
    state.outPerSec = 0;
    commit().onComplete(ar -> closeStores().onComplete(x -> done.tryComplete()));
  }

  /** Closes (and deletes) the local stores: the changelog is their durable copy. */
  private Future<Void> closeStores() {
    TaskStores s = stores;
    stores = null;
    return s == null ? Future.succeededFuture() : deps.blocking(() -> {
      s.close();
      return null;
    });
  }

  private void fail(Throwable t) {
    String message = t.getMessage() == null ? t.toString() : t.getMessage();
    LOG.log(Level.WARNING, "Stream task " + taskId + " failed: " + message);
    state.state = "FAILED";
    state.lastError = message;
    state.inPerSec = 0;
    state.outPerSec = 0;
    // The checkpoint's positions are still those of acknowledged writes: only the status changes.
    commit().onComplete(ar -> closeStores().onComplete(x -> done.tryFail(t)));
  }

  String taskId() {
    return taskId;
  }

  StreamDefinition definition() {
    return definition;
  }

  /** The task's store named {@code name} once restored and until the task ends, else null (interactive queries). */
  io.sluice.streams.state.StoreState store(String name) {
    TaskStores s = stores;
    return s == null || !s.all().containsKey(name) ? null : s.get(name);
  }
}
