package io.sluice.streams;

import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.OffsetRange;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.sluice.streams.TaskWriter.Out;

/**
 * One stream task: one input partition of one stream, run on the broker that leads that partition (its fetches are
 * local reads). A loop of fetch, process (CEL on the {@code sluice-streams} pool), write every output partition's
 * records through the task's {@link TaskWriter} ({@code acks=all}), and every {@code streams.commit.interval.ms} a
 * checkpoint ({@link TaskState}).
 *
 * <p><b>Exactly once without transactions</b> is the writer's: the output partitions' leaders write only records
 * above the task's last sequence there, so replaying the inputs after the checkpoint (after a crash or a move) writes
 * nothing twice. Processing is deterministic (record time, never the wall clock; a null key's partition is the
 * input's partition number; the output topics' partition counts are those of the checkpoint), so a replayed input
 * makes the same outputs with the same sequences. Any write failure ends the task, and a restart replays from the
 * checkpoint.
 *
 * <p><b>New output partitions.</b> At each checkpoint the task looks at its output topics' partition counts again;
 * grown counts are saved with that checkpoint and used for the inputs after it, so an input is routed with the same
 * counts however often it is replayed.
 *
 * <p><b>State.</b> A task that aggregates restores its store from the changelog before it processes
 * ({@link StoreRestorer}: this task's changelog records of the inputs before the checkpoint's offset), and its
 * store's changes go out as changelog records through the same writer as its outputs, so the store after a replay is
 * the store of a run without the crash.
 *
 * <p>Threads: the loop runs on one Vert.x context; decoding, evaluation and the store run on the pool.
 */
final class StreamTask {
  private static final System.Logger LOG = System.getLogger(StreamTask.class.getName());
  private static final int FETCH_MAX_BYTES = 1 << 20;

  private final TaskDeps deps;
  private final String stream;
  private final StreamDefinition definition;
  private final TopicPartition input;
  private final String taskId;
  private final Processor processor;
  private final Map<String, Integer> partitionCounts = new HashMap<>();
  private TaskWriter writer;
  /** The stream's incarnation (a producer id's seed), read at the start. */
  private long incarnation;
  /** The checkpoint being written, if any (context thread only). */
  private Future<Void> committing = Future.succeededFuture();
  private final Promise<Void> done = Promise.promise();
  private volatile TaskState state;
  private volatile boolean stopping;
  private volatile String stopReason;
  private long lastCommitMs;
  private long inAtCommit;
  /** The checkpoint's input count when this run began; -1 until it is loaded. */
  private volatile long inAtStart = -1;
  private long outAtCommit;
  private volatile TaskStores stores;
  /** A standby's store to restore from instead of an empty one (taken by {@link #openStores}). */
  private volatile StandbyTask.Handover standby;
  /** The last compaction bound written to the changelog (context thread only). */
  private volatile long boundWritten = -1;
  /** A task feeding a synchronised join: its progress markers (else null). */
  private final JoinProgress progress;

  StreamTask(TaskDeps deps, String stream, long version, StreamDefinition definition, TopicPartition input) {
    this.deps = deps;
    this.stream = stream;
    this.definition = definition;
    this.input = input;
    this.taskId = stream + "/" + input.topic() + "/" + input.partition();
    this.processor = new Processor(definition, deps.maxOutputsPerRecord(), deps.maxBytesPerRecord());
    this.progress = JoinProgress.of(definition, input);
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

  /**
   * Starts with a standby's store (see {@link StandbyTask#handOver}) instead of restoring into an empty one; call
   * before {@link #run}.
   */
  StreamTask withStandby(StandbyTask.Handover handover) {
    this.standby = handover;
    return this;
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

  /** {@link #stop()}, its status then FAILED with {@code reason} (its input is gone) rather than STOPPED. */
  Future<Void> stop(String reason) {
    stopReason = reason;
    return stop();
  }

  TopicPartition input() {
    return input;
  }

  private Future<Void> init(long restarts) {
    long version = state.version;
    return deps.blocking(() -> {
      long incarnation = deps.store().get(stream).incarnation();
      return new Object[] {TaskState.from(deps.store().task(stream, id(input))), incarnation};
    }).compose(loaded -> {
      state = (TaskState) loaded[0];
      state.version = version;
      state.state = "RUNNING";
      state.broker = deps.brokerId();
      state.lastError = restarts > 0 ? state.lastError : null;
      state.restarts = restarts;
      inAtStart = state.recordsIn;
      incarnation = (Long) loaded[1];
      partitionCounts.putAll(state.partitionCounts);
      return outputs(false);
    }).compose(v -> storesFrom()).compose(v -> startOffset()).compose(v -> openWriter()).compose(v -> commit())
        .compose(v -> openStores());
  }

  /** After {@link #startOffset}, which may have started a new input epoch (a new producer id). */
  private Future<Void> openWriter() {
    String producer = state.inputEpoch == 0 ? taskId : taskId + "@" + state.inputEpoch;
    long producerId = definition.exactlyOnce() ? TaskWriter.producerId(incarnation, producer) : -1;
    writer = new TaskWriter(deps.context().owner(), deps.cluster(), deps.caller(), taskId, producerId);
    return Future.succeededFuture();
  }

  /** The partition of the changelog this task writes, or null if it keeps no state. */
  private TopicPartition changelogPartition() {
    if (!processor.ownsState(input.topic().equals(definition.repartitionTopic()))) {
      return null;
    }
    return new TopicPartition(definition.changelogTopic(), input.partition());
  }

  /** At a task's first start: where its changelog records begin (the changelog's end then). */
  private Future<Void> storesFrom() {
    TopicPartition changelog = changelogPartition();
    if (changelog == null || state.storesFrom.containsKey(changelog)) {
      return Future.succeededFuture();
    }
    if (partitionCounts.getOrDefault(changelog.topic(), 0) <= changelog.partition()) {
      return Future.failedFuture(new IllegalStateException("The changelog topic " + changelog.topic() + " has "
          + partitionCounts.get(changelog.topic()) + " partitions; this task's input partition " + input.partition()
          + " needs one of the same number (recreate the stream, or add partitions to the changelog)"));
    }
    return deps.cluster().offsets(deps.caller(), changelog).map(r -> {
      state.storesFrom.put(changelog, r.endOffset());
      return null;
    });
  }

  /** Restores the task's store from its changelog before it processes (status: RESTORING, with progress). */
  private Future<Void> openStores() {
    TopicPartition changelog = changelogPartition();
    if (changelog == null) {
      return Future.succeededFuture();
    }
    state.state = "RESTORING";
    java.nio.file.Path dir = deps.stateDir().resolve(stream).resolve(id(input)).resolve(definition.store());
    return new StoreRestorer(deps, state, taskId.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        () -> maybeCommit())
        .restore(definition.keyed(), definition.store(), changelog, dir, standby)
        .compose(s -> !JoinSync.applies(definition) ? Future.succeededFuture(s) : deps.blocking(() ->
            s.sync(JoinSync.open(definition, s.get(definition.store()), state.offset))))
        .compose(s -> {
          stores = s;
          standby = null; // now the task's
          state.state = "RUNNING";
          committing = committing.transform(ar -> commit());
          return committing;
        });
  }

  /**
   * Reads the output topics' partition counts. At the start ({@code grow} false) a count from the checkpoint stays:
   * the inputs after it were routed with it, and are replayed now. At a checkpoint ({@code grow}) grown counts
   * are taken, for the inputs after it.
   */
  private Future<Void> outputs(boolean grow) {
    List<Future<TopicMetadata>> all = new ArrayList<>();
    java.util.Set<String> counted = new java.util.LinkedHashSet<>(definition.outputTopics());
    if (JoinSync.applies(definition) && input.topic().equals(definition.repartitionTopic())) {
      counted.addAll(definition.inputs()); // a synchronised join waits for every input partition's task
    }
    for (String topic : counted) {
      all.add(deps.cluster().metadataForProduce(deps.caller(), topic));
    }
    return Future.all(all).map(f -> {
      for (Future<TopicMetadata> md : all) {
        // a topic made again with fewer partitions cannot keep the old routing: it takes the new count at once
        partitionCounts.merge(md.result().name(), md.result().partitionCount(), (was, n) -> grow || n < was ? n
            : was);
      }
      state.partitionCounts.clear();
      state.partitionCounts.putAll(partitionCounts);
      return null;
    });
  }

  private Future<Void> startOffset() {
    return deps.cluster().offsets(deps.caller(), input).compose(r -> pastLogEnd(r).map(past -> {
      if (state.offset < 0) {
        state.offset = firstOffset(r);
      } else if (state.offset < r.beginningOffset()) {
        state.offset = r.beginningOffset(); // retention deleted what the task had not read
      } else if (past || state.inputReplaced) {
        inputReplaced(r);
      }
      state.highWatermark = r.endOffset();
      return (Void) null;
    }));
  }

  /**
   * Whether the checkpoint is past the input's log end. Past the high watermark is not enough: a new leader's high
   * watermark can lag the old one's for a moment. A fetch at the checkpoint is out of range only past the leader's log
   * end, which holds every acknowledged record, so every input a checkpoint was written after.
   */
  private Future<Boolean> pastLogEnd(OffsetRange r) {
    if (state.offset <= r.endOffset()) {
      return Future.succeededFuture(false);
    }
    return deps.cluster().fetch(deps.caller(), new FetchRequest(input, state.offset, 1, 0, 0)).map(f -> false)
        .recover(t -> t instanceof SluiceException e && e.errorCode() == ErrorCode.OFFSET_OUT_OF_RANGE
            ? Future.succeededFuture(true) : Future.failedFuture(t));
  }

  /**
   * The checkpoint is past the input's log end: a checkpoint is only ever of acknowledged input, so the log it was of is
   * gone, a topic of that name deleted and created again (Kafka deletes a deleted topic's committed offsets, so its
   * consumers read the new one from {@code auto.offset.reset}). Resuming at the old offset skipped the new topic's
   * first records, and at 0 with the old producer id the outputs' leaders would take them for duplicates. A stateless task
   * starts the new topic over with a new producer id; a stateful one fails for good (its store and changelog are of
   * the old input's offsets). Not seen: a new topic that grew past the checkpoint before the task looked.
   */
  private void inputReplaced(OffsetRange r) {
    if (changelogPartition() != null || state.inputReplaced) {
      state.inputReplaced = true;
      throw new IllegalStateException("Input " + input + " was deleted and created again (its log ends at "
          + r.endOffset() + ", before this task's checkpoint): a stream with state does not start over on a new"
          + " input; delete the stream and create it again");
    }
    LOG.log(Level.INFO, "Stream task " + taskId + ": input " + input + " ends at " + r.endOffset()
        + ", before the checkpoint at " + state.offset + ": it was deleted and created again; starting it over");
    state.inputEpoch++;
    state.offset = firstOffset(r);
  }

  /** Where a task without a checkpoint starts: the repartition topic holds only what the stream's tasks wrote. */
  private long firstOffset(OffsetRange r) {
    boolean latest = definition.startLatest() && !input.topic().equals(definition.repartitionTopic());
    return latest ? r.endOffset() : r.beginningOffset();
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
    if (committing.failed()) {
      fail(committing.cause());
      return;
    }
    if (stopping) {
      finish();
      return;
    }
    long from = state.offset;
    deps.cluster().fetch(deps.caller(), new FetchRequest(input, from, FETCH_MAX_BYTES, 1, 500))
        .compose(r -> deps.blocking(() -> process(r, from)))
        .compose(this::write)
        .compose(v -> maybeCommit())
        .compose(v -> maybeRelease())
        .onSuccess(v -> loop())
        .onFailure(this::fail);
  }

  /** What one fetch made: outputs per partition in order, and where the input continues. */
  private record Work(Map<TopicPartition, List<Out>> outputs, long nextOffset, long highWatermark, int in,
      long errors, String lastError, long late, long expired) {
  }

  private Work process(FetchResult r, long from) throws Exception {
    Map<TopicPartition, List<Out>> outputs = new LinkedHashMap<>();
    long next = Math.max(from, r.nextOffset());
    int in = 0;
    long errors = 0;
    String lastError = null;
    long lateBefore = stores == null ? 0 : stores.lateRecords();
    long expiredBefore = stores == null ? 0 : stores.expiredEntries();
    long held = 0;
    for (Record rec : records(r, from)) {
      if (held >= deps.maxBytesPerRecord()) {
        break; // the rest of the fetch after these outputs are written: a fetch of records that each make
        // megabytes would otherwise hold them all at once
      }
      in += JoinSync.isMarker(rec) ? 0 : 1; // a join's markers are no input records of the user's
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
        held += Processor.bytes(o);
        outputs.computeIfAbsent(new TopicPartition(o.topic(), o.partition()), k -> new ArrayList<>())
            .add(new Out(seq, o));
      }
    }
    if (progress != null) {
      progress.after(outputs, in, next, r.highWatermark(), partitionCounts.get(definition.repartitionTopic()));
    }
    return new Work(outputs, next, r.highWatermark(), in, errors, lastError,
        stores == null ? 0 : stores.lateRecords() - lateBefore,
        stores == null ? 0 : stores.expiredEntries() - expiredBefore);
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
    work.outputs().forEach((tp, outs) -> writes.add(writer.write(tp, outs)));
    return Future.all(writes).compose(v -> progress == null ? Future.succeededFuture()
        : progress.flush(writer, partitionCounts.get(definition.repartitionTopic()))).map(v -> {
      // the checkpoint moves only once every output of the fetch is acknowledged
      state.offset = work.nextOffset();
      state.highWatermark = work.highWatermark();
      state.recordsIn += work.in();
      work.outputs().values().forEach(l -> state.recordsOut += l.size());
      state.errors += work.errors();
      state.lateRecords += work.late();
      state.expiredEntries += work.expired();
      if (work.lastError() != null) {
        state.lastError = work.lastError();
      }
      return null;
    });
  }

  /**
   * A checkpoint every commit interval, written in the background: the loop goes on fetching while ZooKeeper
   * answers (a write there took tens of milliseconds under load, and every input arriving meanwhile waited for it).
   * One write at a time, so checkpoints land in order; a failed one ends the task at the next turn of the loop.
   * Grown partition counts are the exception: the task waits for the checkpoint that saves them before routing an
   * input with them, or a successor replaying from the checkpoint before would route the same inputs differently.
   */
  private Future<Void> maybeCommit() {
    long now = System.currentTimeMillis(); // status rates and commit pacing only, never processing
    if (now - lastCommitMs < deps.commitIntervalMs() || !committing.isComplete()) {
      return Future.succeededFuture();
    }
    Map<String, Integer> before = new HashMap<>(partitionCounts);
    return outputs(true).compose(v -> {
      committing = commit();
      return partitionCounts.equals(before) ? Future.succeededFuture() : committing;
    });
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
    long offset = checkpointOffset();
    String json = state.toJson().put("offset", offset).encode();
    long bound = offset << 16; // the first sequence of the inputs after this checkpoint
    return deps.blocking(() -> {
      deps.store().writeTask(stream, id(input), new io.vertx.core.json.JsonObject(json));
      return null;
    }).compose(v -> writeBound(bound));
  }

  /**
   * Where a checkpoint may be: the next input, or for a join holding records in memory the last position whose state
   * is all in its store ({@link JoinSync#checkpointable}), from where a replay holds and releases as this run did.
   */
  private long checkpointOffset() {
    TaskStores s = stores;
    JoinSync sync = s == null ? null : s.sync();
    return sync == null ? state.offset : Math.min(state.offset, sync.checkpointable());
  }

  /**
   * A join that held records too long (or left records that may go) writes a release marker to its own partition;
   * reading it back releases them ({@link JoinSync}), so the decision is in the log and a replay takes it too.
   */
  private Future<Void> maybeRelease() {
    TaskStores s = stores;
    JoinSync sync = s == null ? null : s.sync();
    Long at = sync == null ? null : sync.releaseDue(System.currentTimeMillis());
    if (at == null) {
      return Future.succeededFuture();
    }
    return writer.writeMarker(input, List.of(Header.of(JoinSync.RELEASE_HEADER, Long.toString(at))))
        .recover(t -> {
          sync.releaseFailed();
          LOG.log(Level.WARNING, "Stream task " + taskId + ": a join release marker was not written: "
              + t.getMessage());
          return Future.succeededFuture();
        });
  }

  /**
   * Once a checkpoint is durable, tells the changelog's cleaner that the records of the inputs before it may
   * supersede older ones (those after it must not: a restore to this checkpoint skips them). Not before: a crash
   * between the two would restore an older checkpoint whose values the cleaner had already let go. A failed marker
   * only delays compaction (the last one stays in force), so it does not end the task.
   */
  private Future<Void> writeBound(long bound) {
    TopicPartition changelog = changelogPartition();
    if (changelog == null || bound <= boundWritten || writer == null) {
      return Future.succeededFuture();
    }
    return writer.writeBound(changelog, bound).map(v -> {
      boundWritten = Math.max(boundWritten, bound);
      return (Void) null;
    }).recover(t -> {
      LOG.log(Level.WARNING, "Stream task " + taskId + ": the compaction bound of " + changelog
          + " was not written (compaction waits for the next one): " + t.getMessage());
      return Future.succeededFuture();
    });
  }

  private void finish() {
    String reason = stopReason;
    state.state = reason == null ? "STOPPED" : "FAILED";
    if (reason != null) {
      state.lastError = reason;
    }
    state.inPerSec = 0;
    state.outPerSec = 0;
    committing.transform(ar -> commit()).onComplete(ar -> closeStores().onComplete(x -> done.tryComplete()));
  }

  /** Closes (and deletes) the local stores: the changelog is their durable copy. */
  private Future<Void> closeStores() {
    TaskStores s = stores;
    StandbyTask.Handover unused = standby;
    stores = null;
    standby = null;
    return s == null && unused == null ? Future.succeededFuture() : deps.blocking(() -> {
      if (s != null) {
        s.close();
      }
      if (unused != null) {
        unused.store().close(); // handed over, but the task ended before it restored (a failed restore closed it)
      }
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
    // The checkpoint's offset is still that of acknowledged writes: only the status changes.
    committing.transform(ar -> commit()).onComplete(ar -> closeStores().onComplete(x -> done.tryFail(t)));
  }

  /** Whether this run processed input (its outputs acknowledged) since it began. Any thread. */
  boolean processedInput() {
    long start = inAtStart;
    return start >= 0 && state.recordsIn > start;
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
