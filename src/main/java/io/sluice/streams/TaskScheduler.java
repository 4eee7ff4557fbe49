package io.sluice.streams;

import io.sluice.api.TopicMetadata;
import io.sluice.errors.SluiceException;
import io.sluice.streams.TaskPlacement.Wanted;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;

/**
 * Decides which stream tasks this broker runs and runs them, on its own thread.
 *
 * <p><b>Placement.</b> A stream has one task per partition of each input; the task runs on the broker that leads
 * that partition, so it reads locally, and it follows leadership: when the leader moves (failover, preferred-leader
 * rebalance), the old leader stops the task at a clean point and the new leader starts it from the checkpoint.
 *
 * <p><b>Ownership.</b> Two brokers never run a task at once, even while their views of leadership differ: a broker
 * runs a task only while it holds the ephemeral znode {@code /streams/owners/<stream>/<topic>-<p>}, created before
 * the task starts and deleted after it stopped. A broker that dies loses its znodes with its ZooKeeper session, and
 * the new leader takes over once the session expired. A broker whose session is suspended stops all its tasks.
 *
 * <p><b>Changes.</b> A new version, a pause or a restart request stops the running task at a clean point (its writes
 * acknowledged, its checkpoint written) and starts the new one from there. A failed task restarts by itself after a
 * backoff (1 s doubling to 30 s with each failure in a row; a run that processed input starts the doubling over, or a
 * failover's transient errors added up over a stream's life to 30 s stalls); its status counts the restarts.
 * Reconciles on every change and once a second.
 *
 * <p><b>Standbys.</b> For a stream with {@code "standby_replicas": 1}, the first in-sync follower of each stateful
 * task's partition (the likely next leader) keeps a {@link StandbyTask}; when it becomes the leader, the task it
 * starts takes the standby's store over and restores only the changelog's tail.
 */
final class TaskScheduler implements Runnable {
  private static final System.Logger LOG = System.getLogger(TaskScheduler.class.getName());
  private static final long MAX_BACKOFF_MS = 30_000;

  private final CuratorFramework zk;
  private final TaskDeps deps;
  private final DefinitionCompiler compiler;
  /** Written by the scheduler's thread alone; read by interactive queries from the pool. */
  private final Map<String, Running> running = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Failure> failures = new HashMap<>();
  /** Standbys by task key; the scheduler's thread alone. */
  private final Map<String, RunningStandby> standbys = new HashMap<>();
  private final Object signal = new Object();
  private volatile boolean dirty = true;
  private volatile boolean closed;
  private volatile boolean connected = true;
  private Thread thread;

  /** Compiles stored definitions (cached by name and version). */
  interface DefinitionCompiler {
    StreamDefinition compile(StreamStore.Stored stored);
  }

  private record Running(StreamTask task, long version, long restarts, Future<Void> ended) {
  }

  /** {@code inARow}: failures without input processed between them (the backoff); {@code total}: every one. */
  record Failure(long inARow, long total, long retryAtMs, long restartRequest) {
    /** The failure after {@code previous} (null if none) of a run that did or did not process input. */
    static Failure after(Failure previous, boolean processedInput, long nowMs, long restartRequest) {
      long inARow = previous == null || processedInput ? 1 : previous.inARow() + 1;
      long total = previous == null ? 1 : previous.total() + 1;
      return new Failure(inARow, total, nowMs + backoffMs(inARow), restartRequest);
    }
  }

  private record RunningStandby(StandbyTask task, long version, Future<Void> ended) {
  }

  TaskScheduler(CuratorFramework zk, TaskDeps deps, DefinitionCompiler compiler) {
    this.zk = zk;
    this.deps = deps;
    this.compiler = compiler;
  }

  void start() {
    zk.getConnectionStateListenable().addListener((client, s) -> {
      connected = s == ConnectionState.CONNECTED || s == ConnectionState.RECONNECTED;
      wakeup();
    });
    thread = new Thread(this, "sluice-streams-scheduler-" + deps.brokerId());
    thread.setDaemon(true);
    thread.start();
  }

  void wakeup() {
    dirty = true;
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  @Override
  public void run() {
    while (!closed) {
      try {
        synchronized (signal) {
          if (!dirty) {
            signal.wait(1_000);
          }
        }
        dirty = false;
        if (!closed) {
          reconcile();
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        LOG.log(Level.WARNING, "Stream scheduling on broker " + deps.brokerId() + " failed; retrying", e);
      }
    }
  }

  private void reconcile() throws Exception {
    if (!connected) {
      stopAll(); // cannot prove ownership any more
      return;
    }
    TaskPlacement placement = TaskPlacement.decide(deps.brokerId(), deps.store().all(), compiler, this::describe);
    Map<String, Wanted> wanted = placement.tasks();
    for (String key : new ArrayList<>(running.keySet())) {
      Running r = running.get(key);
      Wanted w = wanted.get(key);
      if (r.ended().isComplete()) {
        ended(key, r, w);
      } else if (w == null || w.stored().version() != r.version() || w.stored().restarts() != r.restarts()) {
        stop(key, r, w == null ? inputGone(r.task()) : null);
      }
    }
    for (Wanted w : wanted.values()) {
      if (!running.containsKey(w.key())) {
        maybeStart(w);
      }
    }
    reconcileStandbys(placement);
    for (String orphan : deps.store().orphanedTasks()) {
      if (!deps.store().anyOwned(orphan)) {
        deps.store().deleteTasks(orphan);
      }
    }
  }

  private TopicMetadata describe(String topic) {
    try {
      return await(deps.cluster().describeTopic(deps.caller(), topic));
    } catch (Exception e) {
      return null; // no such input yet: its tasks start once it exists
    }
  }

  private void ended(String key, Running r, Wanted w) {
    running.remove(key);
    deps.store().release(key.substring(0, key.indexOf('/')), key.substring(key.indexOf('/') + 1));
    if (r.ended().failed()) {
      long nowMs = System.currentTimeMillis();
      Failure f = Failure.after(failures.get(key), r.task().processedInput(), nowMs, r.restarts());
      failures.put(key, f);
      LOG.log(Level.INFO, "Stream task " + key + " on broker " + deps.brokerId() + ": failure " + f.inARow()
          + " in a row, restart " + f.total() + " in " + (f.retryAtMs() - nowMs) + " ms");
    }
  }

  private void maybeStart(Wanted w) throws Exception {
    Failure f = failures.get(w.key());
    if (f != null && f.restartRequest() == w.stored().restarts() && System.currentTimeMillis() < f.retryAtMs()) {
      return;
    }
    if (f != null && f.restartRequest() != w.stored().restarts()) {
      failures.remove(w.key()); // a restart request resets the backoff
      f = null;
    }
    if (!deps.store().claim(w.stream(), StreamTask.id(w.tp()), deps.brokerId())) {
      return; // the previous leader is still stopping it, or its session has not expired yet
    }
    if (!stillCurrent(w)) {
      // Deleted, paused or changed since this look began: DELETE waits for owners to go, so check after claiming.
      deps.store().release(w.stream(), StreamTask.id(w.tp()));
      return;
    }
    StreamTask task = new StreamTask(deps, w.stream(), w.stored().version(), w.definition(), w.tp());
    RunningStandby standby = standbys.remove(w.key());
    if (standby != null) {
      StandbyTask.Handover handover = standby.version() == w.stored().version()
          ? await(standby.task().handOver()) : null;
      if (handover == null) {
        await(standby.task().stop());
      } else {
        task.withStandby(handover);
      }
    }
    Future<Void> ended = task.run(f == null ? 0 : f.total());
    ended.onComplete(ar -> wakeup());
    running.put(w.key(), new Running(task, w.stored().version(), w.stored().restarts(), ended));
    LOG.log(Level.INFO, "Broker " + deps.brokerId() + " runs stream task " + task.taskId() + " (version "
        + w.stored().version() + ")");
  }

  private boolean stillCurrent(Wanted w) throws Exception {
    try {
      StreamStore.Stored now = deps.store().get(w.stream());
      return !now.paused() && now.version() == w.stored().version() && now.restarts() == w.stored().restarts();
    } catch (SluiceException e) {
      return false;
    }
  }

  /**
   * Why a task no longer wanted here stops, if its input is gone: its status says so (FAILED) instead of STOPPED
   * beside a stream shown RUNNING, when this look saw the deletion before the task's own fetch failed on it.
   */
  private String inputGone(StreamTask task) {
    String topic = task.input().topic();
    return describe(topic) != null ? null : "Topic '" + topic + "' does not exist (deleted while the stream ran):"
        + " the task starts again when a topic of that name is created";
  }

  private void stop(String key, Running r, String reason) {
    try {
      (reason == null ? r.task().stop() : r.task().stop(reason)).toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "Stream task " + key + " did not stop in time: " + e);
    }
    running.remove(key);
    deps.store().release(key.substring(0, key.indexOf('/')), key.substring(key.indexOf('/') + 1));
  }

  /**
   * Starts and stops this broker's standbys: those of partitions it follows first in sync. A standby of a task this
   * broker now leads stays until the task takes it over ({@link #maybeStart}; the claim waits for the old owner's
   * session to end).
   */
  private void reconcileStandbys(TaskPlacement placement) throws Exception {
    Map<String, Wanted> wanted = placement.standbys();
    Map<String, Wanted> active = placement.tasks();
    for (String key : new ArrayList<>(standbys.keySet())) {
      RunningStandby r = standbys.get(key);
      Wanted w = wanted.containsKey(key) ? wanted.get(key) : active.get(key);
      if (r.ended().isComplete() || w == null || w.stored().version() != r.version()) {
        standbys.remove(key);
        if (!r.ended().isComplete()) {
          LOG.log(Level.INFO, "Broker " + deps.brokerId() + " stops its standby of stream task " + key
              + (w == null ? " (neither its partition's first in-sync follower nor its leader now)" : " (new version)"));
        }
        await(r.task().stop());
      }
    }
    for (Wanted w : wanted.values()) {
      if (!standbys.containsKey(w.key()) && !running.containsKey(w.key())) {
        StandbyTask t = new StandbyTask(deps, w.stream(), w.definition(), w.tp());
        Future<Void> ended = t.run();
        ended.onComplete(ar -> wakeup());
        standbys.put(w.key(), new RunningStandby(t, w.stored().version(), ended));
        LOG.log(Level.INFO, "Broker " + deps.brokerId() + " keeps a standby of stream task " + t.taskId());
      }
    }
  }

  private void stopAll() {
    List<Future<Void>> stops = new ArrayList<>();
    running.values().forEach(r -> stops.add(r.task().stop()));
    try {
      Future.all(stops).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "Stream tasks did not all stop in time: " + e);
    }
    for (String key : new HashSet<>(running.keySet())) {
      deps.store().release(key.substring(0, key.indexOf('/')), key.substring(key.indexOf('/') + 1));
    }
    running.clear();
    List<Future<Void>> standbyStops = new ArrayList<>();
    // kept: this broker is likely to keep these standbys again when it is back, and resumes them where they were
    standbys.values().forEach(r -> standbyStops.add(r.task().stopKeeping()));
    standbys.clear();
    try {
      Future.all(standbyStops).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "Standbys did not all stop in time: " + e);
    }
  }

  /** Stops every task here (at clean points) and the thread. */
  void close() {
    closed = true;
    wakeup();
    if (thread != null) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stopAll();
  }

  /** The wait before restarting a task that failed {@code inARow} times without processing input in between. */
  static long backoffMs(long inARow) {
    return Math.min(MAX_BACKOFF_MS, 1000L << Math.min(15, inARow - 1));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The task {@code <stream>/<topic>-<p>} if this broker runs it, else null. */
  StreamTask task(String key) {
    Running r = running.get(key);
    return r == null ? null : r.task();
  }

  Set<String> runningTasks() {
    return new HashSet<>(running.keySet());
  }
}
