package io.sluice.connect;

import io.sluice.connect.ConnectState.TargetState;
import java.lang.System.Logger.Level;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * Decides which broker runs which connector and task, and runs this broker's share, on its own thread.
 *
 * <p><b>Assignment.</b> Every broker with the connect service registers an ephemeral znode
 * {@code /connect/workers/<broker id>} (in Sluice's ZooKeeper namespace). The units of work are every connector
 * that is not STOPPED and each of its tasks, sorted; unit k goes to the k-th live worker modulo their number, so
 * work spreads evenly and every broker computes the same answer from the same inputs. A broker that joins or dies
 * changes the worker list, and the work is spread again.
 *
 * <p><b>Ownership.</b> Two brokers must never run the same task, even while their views differ for a moment. A
 * broker runs a unit only while it holds the ephemeral znode {@code /connect/owners/<unit>}: it creates it before
 * starting the unit and deletes it after stopping it. A broker that dies loses its znodes with its ZooKeeper
 * session, so its units start elsewhere once its session expires, from their last committed offsets. A broker whose
 * session is suspended stops all of its units at once, as it can no longer prove it owns them.
 *
 * <p>Reconciliation runs on changes of the internal topics, of the worker list, and once a second.
 */
final class Scheduler implements Runnable {
  private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());
  private static final String WORKERS = "/connect/workers";
  private static final String OWNERS = "/connect/owners";
  private static final long STOP_TIMEOUT_MS = 30_000;

  private final CuratorFramework zk;
  private final int brokerId;
  private final WorkerContext worker;
  private final Map<String, Running> running = new HashMap<>();
  private final Object signal = new Object();
  private volatile boolean dirty = true;
  private volatile boolean closed;
  private volatile boolean connected = true;
  private Thread thread;

  /**
   * A unit running here, with what it was started from (a change restarts it) and its connector's owner then, whose
   * rights it runs with (null: none recorded).
   */
  private record Running(UnitRunner runner, String fingerprint, String restartRequest, io.sluice.api.Principal owner) {
  }

  Scheduler(CuratorFramework zk, int brokerId, WorkerContext worker) {
    this.zk = zk;
    this.brokerId = brokerId;
    this.worker = worker;
  }

  void start() throws Exception {
    zk.getConnectionStateListenable().addListener((client, state) -> {
      connected = state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED;
      if (state == ConnectionState.RECONNECTED || state == ConnectionState.LOST) {
        register();
      }
      wakeup();
    });
    register();
    thread = new Thread(this, "sluice-connect-scheduler");
    thread.setDaemon(true);
    thread.start();
  }

  private void register() {
    try {
      zk.create().orSetData().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
          .forPath(WORKERS + "/" + brokerId, worker.workerId().getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      LOG.log(Level.WARNING, "Cannot register connect worker " + brokerId + " in ZooKeeper: " + e);
    }
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
        reconcile();
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        LOG.log(Level.WARNING, "Connect scheduling on broker " + brokerId + " failed; retrying", e);
      }
    }
  }

  private List<Integer> liveWorkers() throws Exception {
    TreeSet<Integer> ids = new TreeSet<>();
    for (String child : zk.getChildren().usingWatcher((org.apache.zookeeper.Watcher) e -> wakeup())
        .forPath(WORKERS)) {
      ids.add(Integer.parseInt(child));
    }
    return new ArrayList<>(ids);
  }

  /** A unit of work: the connector itself (task -1) or one of its tasks. */
  record Unit(String connector, int task) {
    /**
     * The unit's owner node's name. The name is encoded with its dots too: "." separates the task, so connector
     * "a.0" must not be task 0 of "a", and "." or ".." is no ZooKeeper node name.
     */
    String id() {
      return URLEncoder.encode(connector, StandardCharsets.UTF_8).replace(".", "%2E") + (task < 0 ? "" : "." + task);
    }
  }

  private List<Unit> desiredUnits() {
    List<Unit> units = new ArrayList<>();
    ConnectState state = worker.state();
    for (String name : state.connectorNames()) {
      if (state.targetState(name) == TargetState.STOPPED) {
        continue;
      }
      units.add(new Unit(name, -1));
      for (int i = 0; i < state.taskConfigs(name).size(); i++) {
        units.add(new Unit(name, i));
      }
    }
    return units;
  }

  private synchronized void reconcile() throws Exception {
    if (!connected) {
      stopAll();
      return;
    }
    List<Integer> workers = liveWorkers();
    Map<String, Unit> mine = new HashMap<>();
    List<Unit> units = desiredUnits();
    for (int k = 0; k < units.size() && !workers.isEmpty(); k++) {
      if (workers.get(k % workers.size()) == brokerId) {
        mine.put(units.get(k).id(), units.get(k));
      }
    }
    Map<String, List<UnitRunner>> ofDeleted = new HashMap<>();
    for (Map.Entry<String, Running> e : new ArrayList<>(running.entrySet())) {
      Unit u = mine.get(e.getKey());
      if (u == null || !fingerprint(u).equals(e.getValue().fingerprint) || restartWanted(u, e.getValue())
          || ownerChanged(u, e.getValue())) {
        stopUnit(e.getKey(), ofDeleted);
      } else if (!restartRequestOf(u).equals(e.getValue().restartRequest)) {
        // a restart request that does not apply to this unit (onlyFailed, no includeTasks) is done with
        running.put(e.getKey(), new Running(e.getValue().runner, e.getValue().fingerprint, restartRequestOf(u),
            e.getValue().owner));
      } else if (e.getValue().runner.finished() && !e.getValue().runner.stopping) {
        continue; // failed for good: stays FAILED until a restart request
      }
    }
    forgetDeleted(ofDeleted);
    for (Unit u : mine.values()) {
      Running r = running.get(u.id());
      if (r == null) {
        maybeStart(u);
      } else {
        r.runner.setPaused(worker.state().targetState(u.connector) == TargetState.PAUSED);
      }
    }
  }

  /** What a unit runs from: its connector's config and, for a task, the task config generation. */
  private String fingerprint(Unit u) {
    ConnectState s = worker.state();
    return s.configJson(u.connector) + "|" + (u.task < 0 ? "" : s.taskGeneration(u.connector) + "/"
        + s.taskConfigs(u.connector).get(u.task));
  }

  /**
   * Whether the connector's config was re-submitted by another principal since the unit started (or by any, for one
   * that had no owner and so did not start): it runs again with that principal's rights. An owner record gone is no
   * change: a deletion removes it before the config.
   */
  private boolean ownerChanged(Unit u, Running r) {
    io.sluice.api.Principal now = worker.state().creator(u.connector);
    return now != null && !now.equals(r.owner);
  }

  private String restartRequestOf(Unit u) {
    ConnectState s = worker.state();
    String key = u.task < 0 ? ConnectState.restartKey(u.connector) : ConnectState.restartTaskKey(u.connector, u.task);
    return s.restartRequest(key) + "|" + (u.task < 0 ? "" : s.restartRequest(ConnectState.restartKey(u.connector)));
  }

  private boolean restartWanted(Unit u, Running r) {
    return !restartRequestOf(u).equals(r.restartRequest) && restartApplies(u, r);
  }

  /** A connector restart request restarts tasks only with includeTasks, and only failed ones with onlyFailed. */
  private boolean restartApplies(Unit u, Running r) {
    ConnectState s = worker.state();
    String own = s.restartRequest(u.task < 0 ? ConnectState.restartKey(u.connector)
        : ConnectState.restartTaskKey(u.connector, u.task));
    if (u.task >= 0 && !r.restartRequest.startsWith(own + "|")) {
      return true; // a task restart request of its own
    }
    String connectorRequest = s.restartRequest(ConnectState.restartKey(u.connector));
    if (connectorRequest.isEmpty()) {
      return false;
    }
    io.vertx.core.json.JsonObject req = new io.vertx.core.json.JsonObject(connectorRequest);
    boolean onlyFailed = req.getBoolean("onlyFailed", false);
    if (u.task >= 0 && !req.getBoolean("includeTasks", false)) {
      return false;
    }
    if (!onlyFailed) {
      return true;
    }
    io.vertx.core.json.JsonObject status = u.task < 0 ? s.connectorStatus(u.connector)
        : s.taskStatus(u.connector, u.task);
    return status != null && "FAILED".equals(status.getString("state"));
  }

  private void maybeStart(Unit u) throws Exception {
    String path = OWNERS + "/" + u.id();
    try {
      zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
          .forPath(path, Integer.toString(brokerId).getBytes(StandardCharsets.UTF_8));
    } catch (KeeperException.NodeExistsException e) {
      byte[] owner = zk.getData().usingWatcher((org.apache.zookeeper.Watcher) ev -> wakeup()).forPath(path);
      if (!Integer.toString(brokerId).equals(new String(owner, StandardCharsets.UTF_8))) {
        return; // still owned by a broker that has not stopped it yet (or whose session has not expired)
      }
    } catch (KeeperException.NoNodeException e) {
      return;
    }
    ConnectState s = worker.state();
    Map<String, String> config = s.config(u.connector);
    if (config == null) {
      zk.delete().quietly().forPath(path);
      return;
    }
    UnitRunner runner = newRunner(u, config);
    String fingerprint = fingerprint(u);
    String restart = restartRequestOf(u);
    running.put(u.id(), new Running(runner, fingerprint, restart, s.creator(u.connector)));
    LOG.log(Level.INFO, "Broker " + brokerId + " starts " + runner.describe());
    runner.start(s.targetState(u.connector) == TargetState.PAUSED);
  }

  private UnitRunner newRunner(Unit u, Map<String, String> config) {
    if (u.task < 0) {
      return new ConnectorRunner(worker, u.connector, config);
    }
    Map<String, String> taskConfig = worker.state().taskConfigs(u.connector).get(u.task);
    boolean sink = worker.plugins().find(config.get(ConnectorConfigs.CONNECTOR_CLASS), Plugins.Kind.SINK)
        .isPresent();
    return sink ? new SinkTaskRunner(worker, u.connector, u.task, config, taskConfig)
        : new SourceTaskRunner(worker, u.connector, u.task, config, taskConfig);
  }

  /**
   * Stops a unit and releases its ownership; a unit of a deleted connector is kept in {@code ofDeleted} (when given)
   * instead, released by {@link #forgetDeleted} once its statuses are cleared.
   */
  private void stopUnit(String id, Map<String, List<UnitRunner>> ofDeleted) {
    Running r = running.remove(id);
    if (r == null) {
      return;
    }
    LOG.log(Level.INFO, "Broker " + brokerId + " stops " + r.runner.describe());
    r.runner.stop(STOP_TIMEOUT_MS);
    UnitRunner stopped = r.runner;
    if (ofDeleted != null && connected && !closed && worker.state().config(stopped.connector) == null) {
      ofDeleted.computeIfAbsent(stopped.connector, c -> new ArrayList<>()).add(stopped);
      return;
    }
    release(id);
  }

  private void release(String id) {
    try {
      zk.delete().quietly().forPath(OWNERS + "/" + id);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "Cannot release " + id + ": " + e);
    }
  }

  /**
   * Clears what the stopped units of deleted connectors wrote (one round under the config lock per connector), then
   * releases them: a unit of a connector created again under the name starts after that.
   */
  private void forgetDeleted(Map<String, List<UnitRunner>> ofDeleted) {
    ofDeleted.forEach((connector, units) -> {
      Set<String> topics = new TreeSet<>();
      units.forEach(u -> topics.addAll(u.topicsRecorded));
      worker.forgetDeletedUnits(connector, units.stream().map(u -> u.task).toList(), topics);
      units.forEach(u -> release(new Unit(connector, u.task).id()));
    });
  }

  private synchronized void stopAll() {
    for (String id : new ArrayList<>(running.keySet())) {
      stopUnit(id, null);
    }
  }

  /** Whether any broker still runs (holds the ownership of) the connector or one of its tasks; blocking. */
  boolean anyUnitOwned(String connector) throws Exception {
    String prefix = new Unit(connector, -1).id();
    if (zk.checkExists().forPath(OWNERS) == null) {
      return false;
    }
    for (String child : zk.getChildren().forPath(OWNERS)) {
      if (child.equals(prefix) || child.startsWith(prefix + ".")) {
        return true;
      }
    }
    return false;
  }

  /** Runners here, by unit id (for tests and the status of restarts). */
  synchronized Map<String, UnitRunner> runners() {
    Map<String, UnitRunner> out = new HashMap<>();
    running.forEach((k, v) -> out.put(k, v.runner));
    return out;
  }

  void close() {
    closed = true;
    wakeup();
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stopAll();
    try {
      zk.delete().quietly().forPath(WORKERS + "/" + brokerId);
    } catch (Exception e) {
      LOG.log(Level.DEBUG, "Worker znode not removed: " + e);
    }
  }
}
