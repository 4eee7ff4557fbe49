package io.sluice.tls;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * A broker's dynamic configs in ZooKeeper, where Kafka keeps them: {@value #PATH}{@code /<id>} (in Sluice's
 * namespace) holding {@code {"version": 1, "config": {name: value}}}, passwords encoded by {@link PasswordEncoder}.
 * Only the broker itself writes its own znode, on its {@code sluice-listener-tls} worker: the latest write wins.
 *
 * <p>Every method blocks on ZooKeeper: call them on a worker.
 */
final class BrokerConfigStore {
  static final String PATH = "/config/brokers";

  private final CuratorFramework zk;

  BrokerConfigStore(CuratorFramework zk) {
    this.zk = zk;
  }

  /** The broker's stored configs; empty when it has none. */
  Map<String, String> read(int brokerId) throws Exception {
    byte[] data;
    try {
      data = zk.getData().forPath(path(brokerId));
    } catch (KeeperException.NoNodeException e) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    JsonObject config = new JsonObject(new String(data, StandardCharsets.UTF_8)).getJsonObject("config",
        new JsonObject());
    config.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    return out;
  }

  /** Replaces the broker's stored configs with {@code configs}; none left: the znode is deleted. */
  void write(int brokerId, Map<String, String> configs) throws Exception {
    String path = path(brokerId);
    if (configs.isEmpty()) {
      try {
        zk.delete().forPath(path);
      } catch (KeeperException.NoNodeException e) {
        // nothing stored: nothing to delete
      }
      return;
    }
    byte[] data = new JsonObject().put("version", 1).put("config", new JsonObject(new LinkedHashMap<>(configs)))
        .encode().getBytes(StandardCharsets.UTF_8);
    try {
      zk.setData().forPath(path, data);
    } catch (KeeperException.NoNodeException e) {
      zk.create().creatingParentContainersIfNeeded().forPath(path, data);
    }
  }

  private static String path(int brokerId) {
    return PATH + "/" + brokerId;
  }
}
