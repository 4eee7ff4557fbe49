package io.sluice.connect;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One connector instance or task running on its own thread (never an event loop: connectors block in
 * {@code poll}, {@code put} and their own I/O). A failure is reported as FAILED with its stack trace in the status,
 * then the unit restarts by itself after {@code task.restart.backoff.initial.ms}, doubling up to {@code
 * task.restart.backoff.max.ms}, at most {@code task.restart.max.attempts} times in a row (a run that lasted longer
 * than the largest backoff resets the count); after that it stays FAILED until restarted through the REST API.
 */
abstract class UnitRunner implements Runnable {
  private static final System.Logger LOG = System.getLogger(UnitRunner.class.getName());

  final WorkerContext worker;
  final String connector;
  final int task;
  final Map<String, String> connectorConfig;
  private final int maxAttempts;
  private final long backoffInitialMs;
  private final long backoffMaxMs;
  private final Object lock = new Object();
  volatile boolean stopping;
  volatile boolean paused;
  private Thread thread;
  private volatile int restarts;
  /** Records into the task: polled from a source, read from the topics by a sink. */
  final LongAdder recordsIn = new LongAdder();
  /** Records out of the task: written to topics (acknowledged) by a source, put by a sink. */
  final LongAdder recordsOut = new LongAdder();
  /** Active topics (KIP-558) this unit recorded: cleared with its status if its connector is deleted. */
  final Set<String> topicsRecorded = ConcurrentHashMap.newKeySet();
  /** What a task's context's {@code pluginMetrics()} answers (KIP-877): closed, its metrics removed, as its run ends. */
  volatile org.apache.kafka.common.metrics.internals.PluginMetricsImpl taskMetrics;

  /** A task run's record stages: converters, transformations (with predicates) and error handling. */
  record Stages<R extends org.apache.kafka.connect.connector.ConnectRecord<R>>(Converters converters,
      TransformationChain<R> chain, RecordErrors errors) {
  }

  /** Builds a task run's plugin metrics and stages, each closed with {@code closer} (however far the build got). */
  <R extends org.apache.kafka.connect.connector.ConnectRecord<R>> Stages<R> stages(TaskCloser closer,
      OwnerRights rights) {
    taskMetrics = closer.add(worker.pluginMeters().task(connector, task));
    PluginMeters.Scope scope = new PluginMeters.Scope(worker.pluginMeters(), connector, task, closer);
    Converters converters = Converters.build(worker.plugins(), connectorConfig, scope);
    TransformationChain<R> chain = TransformationChain.build(worker.plugins(), connectorConfig, scope);
    return new Stages<>(converters, chain, new RecordErrors(connectorConfig, connector, task, worker.client(),
        worker.producer(), rights));
  }

  UnitRunner(WorkerContext worker, String connector, int task, Map<String, String> connectorConfig) {
    this.worker = worker;
    this.connector = connector;
    this.task = task;
    this.connectorConfig = connectorConfig;
    this.maxAttempts = Integer.parseInt(connectorConfig.getOrDefault(ConnectorConfigs.RESTART_MAX_ATTEMPTS, "10")
        .trim());
    this.backoffInitialMs = Long.parseLong(connectorConfig.getOrDefault(ConnectorConfigs.RESTART_BACKOFF_INITIAL,
        "1000").trim());
    this.backoffMaxMs = Long.parseLong(connectorConfig.getOrDefault(ConnectorConfigs.RESTART_BACKOFF_MAX, "60000")
        .trim());
  }

  /** Records that the unit used {@code topic} (a lookup per record; a write only the first time). */
  void activeTopic(String topic) {
    if (worker.recordActiveTopic(connector, task, topic)) {
      topicsRecorded.add(topic);
    }
  }

  String describe() {
    return task < 0 ? "connector " + connector : "task " + connector + "-" + task;
  }

  void start(boolean startPaused) {
    paused = startPaused;
    thread = new Thread(this, "sluice-connect-" + (task < 0 ? connector : connector + "-" + task));
    thread.setDaemon(true);
    thread.start();
  }

  /** Runs the unit until it returns (stopped) or throws (failed). */
  abstract void execute() throws Exception;

  /**
   * The meter names of {@link #recordsIn} and {@link #recordsOut} (as Kafka Connect's source-record-poll/write and
   * sink-record-read/send), or null for a unit that has none (a connector instance).
   */
  String[] meterNames() {
    return null;
  }

  /** Asks the running connector or task to stop (Kafka calls stop() from another thread too). */
  abstract void requestStop();

  @Override
  public void run() {
    List<Meter> meters = registerMeters();
    try {
      runWithRestarts();
    } finally {
      meters.forEach(worker.meters()::remove);
    }
  }

  /** A task's meters while it runs on this broker, tagged with its connector and task number. */
  private List<Meter> registerMeters() {
    String[] names = meterNames();
    if (names == null) {
      return List.of();
    }
    Tags tags = Tags.of("connector", connector, "task", Integer.toString(task));
    MeterRegistry registry = worker.meters();
    return List.of(
        FunctionCounter.builder(names[0], this, u -> u.recordsIn.sum()).tags(tags).register(registry),
        FunctionCounter.builder(names[1], this, u -> u.recordsOut.sum()).tags(tags).register(registry),
        FunctionCounter.builder("sluice.connect.task.restarts", this, u -> u.restarts)
            .description("automatic restarts after a failure").tags(tags).register(registry));
  }

  private void runWithRestarts() {
    long backoff = backoffInitialMs;
    int attempts = 0;
    while (!stopping) {
      long startedMs = System.currentTimeMillis();
      try {
        execute();
        return;
      } catch (Throwable t) {
        if (stopping) {
          return;
        }
        if (t instanceof OwnerRights.NoOwnerException) {
          // no restart helps: the scheduler starts it again once its config is re-submitted, giving it an owner
          worker.writeStatus(connector, task, "FAILED", FailureHints.trace(t, connectorConfig));
          return;
        }
        if (System.currentTimeMillis() - startedMs > backoffMaxMs) {
          attempts = 0;
          backoff = backoffInitialMs;
        }
        LOG.log(Level.ERROR, describe() + " failed (automatic restart " + attempts + " of " + maxAttempts + ")", t);
        worker.writeStatus(connector, task, "FAILED", restartLine(attempts, backoff) + "\n"
            + FailureHints.trace(t, connectorConfig));
        if (attempts >= maxAttempts) {
          return;
        }
        attempts++;
        restarts++;
        if (!pause(backoff)) {
          return;
        }
        backoff = Math.min(backoff * 2, Math.max(backoffMaxMs, backoffInitialMs));
      }
    }
  }

  /**
   * The first line of a FAILED status's trace: whether the unit restarts by itself, and when. Between restarts a
   * user polling the status sees FAILED and this, not a RUNNING unit that writes nothing.
   */
  private String restartLine(int attempts, long backoffMs) {
    String what = task < 0 ? "connector" : "task";
    if (attempts >= maxAttempts) {
      return "No automatic restart left (" + attempts + " of task.restart.max.attempts " + maxAttempts + " done): the "
          + what + " stays FAILED until restarted with POST /connectors/" + connector + "/restart"
          + (task < 0 ? "" : "?includeTasks=true or POST /connectors/" + connector + "/tasks/" + task + "/restart");
    }
    return "The " + what + " restarts by itself in " + backoffMs + " ms (automatic restart " + (attempts + 1) + " of "
        + maxAttempts + ", task.restart.max.attempts)";
  }

  /** Waits {@code ms} unless stopped first; false if stopped. */
  boolean pause(long ms) {
    long deadline = System.currentTimeMillis() + ms;
    synchronized (lock) {
      while (!stopping) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return true;
        }
        try {
          lock.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return false;
  }

  /** Blocks while paused (and not stopping); true if paused on entry. */
  boolean awaitUnpaused() {
    if (!paused) {
      return false;
    }
    synchronized (lock) {
      while (paused && !stopping) {
        try {
          lock.wait(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return true;
        }
      }
    }
    return true;
  }

  void setPaused(boolean value) {
    paused = value;
    wake();
  }

  void wake() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  int restarts() {
    return restarts;
  }

  /** Stops the unit and waits for its thread at most {@code timeoutMs}; then interrupts it. */
  void stop(long timeoutMs) {
    stopping = true;
    wake();
    try {
      requestStop();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "Stopping " + describe() + " failed", e);
    }
    if (thread == null || thread == Thread.currentThread()) {
      return;
    }
    try {
      thread.join(timeoutMs);
      if (thread.isAlive()) {
        LOG.log(Level.WARNING, describe() + " did not stop within " + timeoutMs + " ms; interrupting it");
        thread.interrupt();
        thread.join(timeoutMs);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean finished() {
    return thread != null && !thread.isAlive();
  }
}
