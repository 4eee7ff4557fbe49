package io.sluice.streams;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The streams' durable state, in ZooKeeper (Sluice's namespace), which every broker reads:
 *
 * <pre>
 * /streams/definitions/&lt;name&gt;            {"definition": {...}, "version": n, "paused": bool, "restarts": n}
 * /streams/tasks/&lt;name&gt;/&lt;topic&gt;-&lt;p&gt;      a task's checkpoint and status ({@link TaskState})
 * /streams/owners/&lt;name&gt;/&lt;topic&gt;-&lt;p&gt;     ephemeral: the broker running the task
 * /streams/standbys/&lt;name&gt;/&lt;topic&gt;-&lt;p&gt;   ephemeral: the task's standby's broker, position and lag
 * </pre>
 *
 * A definition changes only by a conditional write on the znode's version, so two PUTs never both win. Blocking:
 * call from a worker thread.
 */
final class StreamStore {
  static final String DEFINITIONS = "/streams/definitions";
  static final String TASKS = "/streams/tasks";
  static final String OWNERS = "/streams/owners";
  static final String STANDBYS = "/streams/standbys";

  private final CuratorFramework zk;
  private volatile Runnable afterCount = () -> { };

  StreamStore(CuratorFramework zk) {
    this.zk = zk;
  }

  /**
   * A stored definition with its ZooKeeper version (for conditional writes) and its incarnation (the znode's creation
   * transaction id: the same across versions, new when a stream of the same name is made again).
   */
  record Stored(String name, JsonObject record, int zkVersion, long incarnation) {
    JsonObject definition() {
      return record.getJsonObject("definition");
    }

    long version() {
      return record.getLong("version");
    }

    boolean paused() {
      return record.getBoolean("paused", false);
    }

    long restarts() {
      return record.getLong("restarts", 0L);
    }
  }

  List<String> names() throws Exception {
    try {
      List<String> names = new ArrayList<>(zk.getChildren().forPath(DEFINITIONS));
      names.sort(null);
      return names;
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }

  Stored get(String name) throws Exception {
    Stat stat = new Stat();
    try {
      byte[] data = zk.getData().storingStatIn(stat).forPath(node(DEFINITIONS, name));
      return new Stored(name, new JsonObject(new String(data, StandardCharsets.UTF_8)), stat.getVersion(),
          stat.getCzxid());
    } catch (KeeperException.NoNodeException e) {
      throw new SluiceException(ErrorCode.STREAM_NOT_FOUND, "No stream named '" + name + "'");
    }
  }

  /** Every stored definition (one that vanished while listing is left out). */
  List<Stored> all() throws Exception {
    List<Stored> out = new ArrayList<>();
    for (String name : names()) {
      try {
        out.add(get(name));
      } catch (SluiceException e) {
        // deleted between the listing and the read
      }
    }
    return out;
  }

  /**
   * Stores a new definition unless the cluster has {@code maxDefinitions} already. The count and the write are one
   * atomic step: the create also bumps the version of {@code /streams/definitions} conditionally on the version it
   * counted under (one ZooKeeper multi), so of two creates that counted the same children only one is written and
   * the other counts again.
   */
  void create(String name, JsonObject definition, int maxDefinitions) throws Exception {
    JsonObject record = new JsonObject().put("definition", definition).put("version", 1).put("paused", false)
        .put("restarts", 0);
    while (true) {
      Stat parent = new Stat();
      List<String> names = definitionsCounted(parent);
      if (names.size() >= maxDefinitions) {
        throw new SluiceException(ErrorCode.STREAM_LIMIT_EXCEEDED, "The cluster has " + maxDefinitions
            + " streams, the most allowed (streams.max.definitions)");
      }
      afterCount.run();
      try {
        zk.transaction().forOperations(
            zk.transactionOp().setData().withVersion(parent.getVersion()).forPath(DEFINITIONS, new byte[0]),
            zk.transactionOp().create().forPath(node(DEFINITIONS, name), bytes(record)));
        return;
      } catch (KeeperException.NodeExistsException e) {
        throw new SluiceException(ErrorCode.STREAM_ALREADY_EXISTS, "A stream named '" + name + "' already exists");
      } catch (KeeperException.BadVersionException e) {
        // another create counted the same definitions and won: count again
      }
    }
  }

  /** The definitions' names, with the parent's stat (made if missing) in {@code parent}. */
  private List<String> definitionsCounted(Stat parent) throws Exception {
    try {
      zk.create().creatingParentsIfNeeded().forPath(DEFINITIONS);
    } catch (KeeperException.NodeExistsException e) {
      // the usual case
    }
    return zk.getChildren().storingStatIn(parent).forPath(DEFINITIONS);
  }

  /** Runs between the count and the write of {@link #create}; tests put a racing create there. */
  void afterCountForTests(Runnable hook) {
    afterCount = hook;
  }

  /** Rewrites a definition's record if nobody changed it since {@code stored} was read; false otherwise. */
  boolean update(Stored stored, JsonObject record) throws Exception {
    try {
      zk.setData().withVersion(stored.zkVersion()).forPath(node(DEFINITIONS, stored.name()), bytes(record));
      return true;
    } catch (KeeperException.BadVersionException e) {
      return false;
    } catch (KeeperException.NoNodeException e) {
      throw new SluiceException(ErrorCode.STREAM_NOT_FOUND, "No stream named '" + stored.name() + "'");
    }
  }

  void delete(String name) throws Exception {
    try {
      zk.delete().forPath(node(DEFINITIONS, name));
    } catch (KeeperException.NoNodeException e) {
      throw new SluiceException(ErrorCode.STREAM_NOT_FOUND, "No stream named '" + name + "'");
    }
  }

  /** Removes a deleted stream's task checkpoints (once no broker owns its tasks). */
  void deleteTasks(String name) throws Exception {
    try {
      zk.delete().deletingChildrenIfNeeded().forPath(node(TASKS, name));
    } catch (KeeperException.NoNodeException e) {
      // nothing stored
    }
  }

  /** Stream names that have task state but no definition any more. */
  List<String> orphanedTasks() throws Exception {
    try {
      List<String> out = new ArrayList<>(zk.getChildren().forPath(TASKS));
      out.removeAll(names());
      return out;
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }

  JsonObject task(String name, String task) throws Exception {
    try {
      return new JsonObject(new String(zk.getData().forPath(node(TASKS, name) + "/" + task),
          StandardCharsets.UTF_8));
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  /** Every task's state of a stream, by task id ("topic-partition"). */
  Map<String, JsonObject> tasks(String name) throws Exception {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    List<String> ids;
    try {
      ids = new ArrayList<>(zk.getChildren().forPath(node(TASKS, name)));
    } catch (KeeperException.NoNodeException e) {
      return out;
    }
    ids.sort(null);
    for (String id : ids) {
      JsonObject t = task(name, id);
      if (t != null) {
        out.put(id, t);
      }
    }
    return out;
  }

  void writeTask(String name, String task, JsonObject state) throws Exception {
    zk.create().orSetData().creatingParentsIfNeeded().forPath(node(TASKS, name) + "/" + task, bytes(state));
  }

  /** Writes the status of a task's standby (ephemeral: it goes with this broker's session). */
  void writeStandby(String name, String task, JsonObject status) throws Exception {
    String path = node(STANDBYS, name) + "/" + task;
    try {
      zk.setData().forPath(path, bytes(status));
    } catch (KeeperException.NoNodeException e) {
      try {
        zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, bytes(status));
      } catch (KeeperException.NodeExistsException raced) {
        zk.setData().forPath(path, bytes(status)); // an old standby's node, until its session ends
      }
    }
  }

  void deleteStandby(String name, String task) {
    try {
      zk.delete().forPath(node(STANDBYS, name) + "/" + task);
    } catch (Exception e) {
      // gone with the session or never written
    }
  }

  /** The status of the standby of task {@code task} of stream {@code name}, or null when it has none. */
  JsonObject standby(String name, String task) throws Exception {
    try {
      return new JsonObject(new String(zk.getData().forPath(node(STANDBYS, name) + "/" + task),
          StandardCharsets.UTF_8));
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  /** Claims a task for {@code brokerId}: true if this broker holds it now (it may already have). */
  boolean claim(String name, String task, int brokerId) throws Exception {
    String path = node(OWNERS, name) + "/" + task;
    try {
      zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, bytes(brokerId));
      return true;
    } catch (KeeperException.NodeExistsException e) {
      try {
        Stat stat = new Stat();
        byte[] data = zk.getData().storingStatIn(stat).forPath(path);
        return stat.getEphemeralOwner() == zk.getZookeeperClient().getZooKeeper().getSessionId()
            && Integer.parseInt(new String(data, StandardCharsets.UTF_8)) == brokerId;
      } catch (KeeperException.NoNodeException gone) {
        return false;
      }
    }
  }

  void release(String name, String task) {
    try {
      zk.delete().forPath(node(OWNERS, name) + "/" + task);
    } catch (Exception e) {
      // gone with the session or already released
    }
  }

  /** The broker running task {@code task} of stream {@code name}, or -1 when none does. */
  int owner(String name, String task) throws Exception {
    try {
      return Integer.parseInt(new String(zk.getData().forPath(node(OWNERS, name) + "/" + task),
          StandardCharsets.UTF_8).trim());
    } catch (KeeperException.NoNodeException e) {
      return -1;
    }
  }

  /** Whether any broker still runs a task of {@code name}. */
  boolean anyOwned(String name) throws Exception {
    try {
      return !zk.getChildren().forPath(node(OWNERS, name)).isEmpty();
    } catch (KeeperException.NoNodeException e) {
      return false;
    }
  }

  /**
   * The node of stream {@code name} under {@code root}. A name no stream can have (one from a request's path, say
   * "a/b" or "..") names no stream: it must never become a path to some other node, or an invalid one.
   */
  private static String node(String root, String name) {
    if (!DefinitionParser.validName(name)) {
      throw new SluiceException(ErrorCode.STREAM_NOT_FOUND, "No stream named '" + name + "'");
    }
    return root + "/" + name;
  }

  private static byte[] bytes(Object o) {
    return String.valueOf(o instanceof JsonObject j ? j.encode() : o).getBytes(StandardCharsets.UTF_8);
  }
}
