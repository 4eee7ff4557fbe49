package io.sluice.broker.acl;

import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclBindingFilter;
import io.sluice.api.acl.AclJson;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;

/**
 * The cluster's ACLs in ZooKeeper, one persistent znode per binding: {@code /sluice/acls/<the binding's key,
 * URL-encoded>} holding its {@link AclJson} form. Every broker follows {@code /acls} with a {@link CuratorCache} and
 * hands each new set to its {@link Authorizer}, so a change made through any broker applies on all within moments and
 * a restart reads them back. One znode per binding makes a create or a delete of one binding atomic without reading
 * the others (no lost update between two brokers changing ACLs at once).
 *
 * <p>Writes run on the ZooKeeper worker executor; a write's future completes, on the caller's context, once this
 * broker's cache shows it, so the caller's next request here is decided by it. Cache events arrive on Curator's
 * thread, where the new matcher is built (no event loop waits on it).
 */
public final class ZkAclStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ZkAclStore.class.getName());
  static final String ACLS = "/acls";
  private static final long APPLY_WAIT_MS = 10_000;

  private record Waiter(Predicate<Set<AclBinding>> condition, Context context, Promise<Void> promise) {
  }

  private final Vertx vertx;
  private final CuratorFramework client;
  private final WorkerExecutor zkExecutor;
  private final Authorizer authorizer;
  private final List<Waiter> waiters = new ArrayList<>();
  private CuratorCache cache;
  private boolean initialized;

  /** @param client Curator in Sluice's namespace */
  public ZkAclStore(Vertx vertx, CuratorFramework client, WorkerExecutor zkExecutor, Authorizer authorizer) {
    this.vertx = vertx;
    this.client = client;
    this.zkExecutor = zkExecutor;
    this.authorizer = authorizer;
  }

  /** Completes once the ACLs in ZooKeeper are applied (until then every client request is refused). */
  public Future<Void> start() {
    Promise<Void> ready = Promise.promise();
    Context context = vertx.getOrCreateContext();
    return zkExecutor.executeBlocking(() -> {
      try {
        client.create().creatingParentsIfNeeded().forPath(ACLS);
      } catch (KeeperException.NodeExistsException e) {
        // another broker made it
      }
      return null;
    }, false).compose(v -> {
      cache = CuratorCache.build(client, ACLS);
      cache.listenable().addListener(CuratorCacheListener.builder()
          .forAll((type, oldData, data) -> rebuild())
          .forInitialized(() -> {
            synchronized (this) {
              initialized = true;
            }
            rebuild();
            context.runOnContext(x -> ready.tryComplete());
          }).build());
      cache.start();
      return ready.future();
    });
  }

  public List<AclBinding> describe(AclBindingFilter filter) {
    return authorizer.matcher().bindings().stream().filter(filter::matches).toList();
  }

  public Future<Void> create(List<AclBinding> bindings) {
    Context context = vertx.getOrCreateContext();
    return zkExecutor.executeBlocking(() -> {
      for (AclBinding b : bindings) {
        try {
          client.create().forPath(path(b), AclJson.json(b).toBuffer().getBytes());
        } catch (KeeperException.NodeExistsException e) {
          // already bound: creating an ACL twice is not an error in Kafka either
        }
      }
      return null;
    }, false).compose(v -> applied(context, held -> held.containsAll(bindings)));
  }

  /** Deletes what {@code filter} matches in ZooKeeper (read there, not from the cache, so no new binding is missed). */
  public Future<List<AclBinding>> delete(AclBindingFilter filter) {
    Context context = vertx.getOrCreateContext();
    return zkExecutor.executeBlocking(() -> {
      List<AclBinding> deleted = new ArrayList<>();
      for (String child : client.getChildren().forPath(ACLS)) {
        AclBinding b = read(child);
        if (b != null && filter.matches(b)) {
          try {
            client.delete().forPath(ACLS + "/" + child);
            deleted.add(b);
          } catch (KeeperException.NoNodeException e) {
            // deleted meanwhile by another request
          }
        }
      }
      return deleted;
    }, false).compose(deleted -> applied(context, held -> deleted.stream().noneMatch(held::contains)).map(deleted));
  }

  private AclBinding read(String child) throws Exception {
    try {
      return parse(client.getData().forPath(ACLS + "/" + child));
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  static String path(AclBinding b) {
    return ACLS + "/" + URLEncoder.encode(b.key(), StandardCharsets.UTF_8);
  }

  private static AclBinding parse(byte[] data) {
    try {
      return AclJson.binding(new JsonObject(new String(data, StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring an ACL znode that is not a binding: " + e.getMessage());
      return null;
    }
  }

  private synchronized Future<Void> applied(Context context, Predicate<Set<AclBinding>> condition) {
    Waiter w = new Waiter(condition, context, Promise.promise());
    waiters.add(w);
    // A change another broker makes meanwhile can keep the condition from ever holding (a binding created here and
    // deleted there at once): the write is done in ZooKeeper either way, so answer after a bound.
    vertx.setTimer(APPLY_WAIT_MS, t -> {
      synchronized (this) {
        waiters.remove(w);
      }
      w.context().runOnContext(v -> w.promise().tryComplete());
    });
    completeWaiters(new HashSet<>(authorizer.matcher().bindings()));
    return w.promise().future();
  }

  private synchronized void rebuild() {
    if (!initialized) {  // the initial load fires an event per znode: build once, at its end
      return;
    }
    List<AclBinding> bindings = new ArrayList<>();
    cache.stream().filter(d -> !d.getPath().equals(ACLS)).map(ChildData::getData).filter(d -> d != null)
        .map(ZkAclStore::parse).filter(b -> b != null).forEach(bindings::add);
    authorizer.update(new AclMatcher(bindings));
    completeWaiters(new HashSet<>(bindings));
  }

  private void completeWaiters(Set<AclBinding> held) {
    waiters.removeIf(w -> {
      if (w.condition().test(held)) {
        w.context().runOnContext(v -> w.promise().tryComplete());
        return true;
      }
      return false;
    });
  }

  @Override
  public void close() {
    if (cache != null) {
      cache.close();
    }
  }
}
