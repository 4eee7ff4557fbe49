package io.sluice.quota;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Client quotas in ZooKeeper, one persistent znode per entity under {@value #PATH} (in Sluice's namespace), holding
 * {@code {"user", "client-id", "quotas": {"producer_byte_rate": 1048576, ...}}}; an entity without quotas has no
 * znode. Every broker follows them with a {@link CuratorCache} and hands each new {@link QuotaTable} on, so an
 * alteration through any broker applies on all within moments, and across restarts.
 *
 * <p>Every method but {@link #table} blocks on ZooKeeper: call them on a worker.
 */
final class QuotaStore implements AutoCloseable {
  static final String PATH = "/config/client-quotas";
  /** Conditional writes tried before a conflict is reported. */
  static final int ATTEMPTS = 5;

  private final CuratorFramework zk;
  private CuratorCache cache;

  QuotaStore(CuratorFramework zk) {
    this.zk = zk;
  }

  /** Starts following the quotas; {@code onChange} gets the first table before this returns, then every change. */
  void start(Consumer<QuotaTable> onChange) throws Exception {
    zk.createContainers(PATH);
    cache = CuratorCache.build(zk, PATH);
    java.util.concurrent.CountDownLatch initialized = new java.util.concurrent.CountDownLatch(1);
    cache.listenable().addListener(CuratorCacheListener.builder()
        .forAll((type, oldData, data) -> {
          if (initialized.getCount() == 0) {
            onChange.accept(table());
          }
        })
        .forInitialized(() -> {
          onChange.accept(table());
          initialized.countDown();
        }).build());
    cache.start();
    if (!initialized.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
      throw new IllegalStateException("client quotas not read from ZooKeeper in 30 s");
    }
  }

  /** The quotas as the cache holds them now. */
  QuotaTable table() {
    Map<QuotaEntity, Map<String, Double>> all = new HashMap<>();
    cache.stream().filter(d -> !d.getPath().equals(PATH) && d.getData() != null && d.getData().length > 0)
        .forEach(d -> {
          Entry e = decode(d);
          all.put(e.entity(), e.quotas());
        });
    return QuotaTable.of(all);
  }

  /**
   * Applies every alteration or none (one ZooKeeper transaction, each znode written at the version read), retrying
   * when another alteration changed one of them meanwhile.
   */
  void alter(List<QuotaAlteration> alterations) throws Exception {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        zk.transaction().forOperations(operations(alterations));
        return;
      } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
          | KeeperException.NoNodeException e) {
        // another alteration of one of these entities committed between our read and our write: read again
      }
    }
    throw new SluiceException(ErrorCode.CLIENT_QUOTA_CONFLICT, "The quotas of these entities changed "
        + ATTEMPTS + " times while this request altered them: retry");
  }

  private List<CuratorOp> operations(List<QuotaAlteration> alterations) throws Exception {
    List<CuratorOp> ops = new ArrayList<>();
    for (QuotaAlteration a : alterations) {
      String path = PATH + "/" + a.entity().nodeName();
      Stat stat = new Stat();
      Map<String, Double> quotas = new LinkedHashMap<>();
      try {
        quotas.putAll(decode(new ChildData(path, stat, zk.getData().storingStatIn(stat).forPath(path))).quotas());
      } catch (KeeperException.NoNodeException e) {
        stat = null;
      }
      a.changes().forEach((k, v) -> {
        if (v == null) {
          quotas.remove(k);
        } else {
          quotas.put(k, v);
        }
      });
      if (stat == null) {
        if (!quotas.isEmpty()) {
          ops.add(zk.transactionOp().create().forPath(path, encode(a.entity(), quotas)));
        }
      } else if (quotas.isEmpty()) {
        ops.add(zk.transactionOp().delete().withVersion(stat.getVersion()).forPath(path));
      } else {
        ops.add(zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(path, encode(a.entity(), quotas)));
      }
    }
    if (ops.isEmpty()) { // only removals of quotas that do not exist: nothing to write
      ops.add(zk.transactionOp().check().forPath(PATH));
    }
    return ops;
  }

  private static byte[] encode(QuotaEntity entity, Map<String, Double> quotas) {
    JsonObject q = new JsonObject();
    quotas.forEach(q::put);
    return new JsonObject().put("user", entity.user()).put("client-id", entity.clientId()).put("quotas", q)
        .toBuffer().getBytes();
  }

  private static Entry decode(ChildData d) {
    JsonObject json = new JsonObject(io.vertx.core.buffer.Buffer.buffer(d.getData()));
    Map<String, Double> quotas = new LinkedHashMap<>();
    json.getJsonObject("quotas", new JsonObject()).forEach(e -> quotas.put(e.getKey(),
        ((Number) e.getValue()).doubleValue()));
    return new Entry(new QuotaEntity(json.getString("user"), json.getString("client-id")), quotas);
  }

  private record Entry(QuotaEntity entity, Map<String, Double> quotas) {
  }

  @Override
  public void close() {
    if (cache != null) {
      cache.close();
    }
  }
}
