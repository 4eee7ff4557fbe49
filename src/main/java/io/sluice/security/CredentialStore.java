package io.sluice.security;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.security.ScramCredential.Mechanism;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Users' SCRAM credentials in ZooKeeper, where Kafka keeps them: {@code /config/users/<user>} (under Sluice's
 * namespace) holding {@code {"version":1,"config":{"SCRAM-SHA-256":"salt=...,stored_key=...,..."}}}. Every broker
 * follows the znodes with a {@link CuratorCache}, so a change made through one broker reaches all within ZooKeeper's
 * notification time, and a restart keeps them. Reads are from memory; writes block (call them on a worker) and
 * return once this broker's own view shows them, so the next request to this broker sees the change.
 */
final class CredentialStore implements AutoCloseable {
  static final String USERS = "/config/users";
  private static final int MAX_ATTEMPTS = 5;
  private static final long SEEN_TIMEOUT_MS = 10_000;

  /** A user's credentials as last read, with the znode's modification zxid; compared by identity. */
  record User(Map<Mechanism, ScramCredential> credentials, long mzxid) {
  }

  private final CuratorFramework zk;
  private final Map<String, User> users = new ConcurrentHashMap<>();
  private final Object seen = new Object();
  /** Bumped at every change this broker hears of, so derived values (the {@link Decoy}) know when to be remade. */
  private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();
  private CuratorCache cache;

  /** {@code zk}: a client in Sluice's namespace. */
  CredentialStore(CuratorFramework zk) {
    this.zk = zk;
  }

  /** Creates the parent znode and loads every user; blocks until the cache is primed. */
  void start() throws Exception {
    try {
      zk.create().creatingParentsIfNeeded().forPath(USERS);
    } catch (KeeperException.NodeExistsException ignored) {
      // made by another broker or an earlier start
    }
    java.util.concurrent.CountDownLatch primed = new java.util.concurrent.CountDownLatch(1);
    cache = CuratorCache.build(zk, USERS);
    cache.listenable().addListener(CuratorCacheListener.builder()
        .forCreatesAndChanges((old, data) -> changed(data))
        .forDeletes(this::deleted)
        .forInitialized(primed::countDown)
        .build());
    cache.start();
    if (!primed.await(SEEN_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      throw new SluiceException(ErrorCode.BROKER_NOT_AVAILABLE, "ZooKeeper did not list the users in time");
    }
  }

  /** The user's credentials, or null. Any thread. */
  User get(String user) {
    return users.get(user);
  }

  /** Every user's credentials, by name. */
  Map<String, User> all() {
    return Collections.unmodifiableMap(new TreeMap<>(users));
  }

  /**
   * Rewrites {@code user}'s credentials with {@code change} (given the current ones, empty for a new user; an empty
   * result deletes the user), conditionally on the version read, retried a few times. Blocks.
   * @return whether the user existed before
   */
  boolean update(String user, UnaryOperator<Map<Mechanism, ScramCredential>> change) throws Exception {
    String path = USERS + "/" + user;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Stat stat = new Stat();
      byte[] data;
      try {
        data = zk.getData().storingStatIn(stat).forPath(path);
      } catch (KeeperException.NoNodeException e) {
        data = null;
      }
      Map<Mechanism, ScramCredential> current = new EnumMap<>(Mechanism.class);
      if (data != null) {
        current.putAll(parse(data));
      }
      Map<Mechanism, ScramCredential> next = change.apply(current);
      try {
        long zxid;
        if (data == null && next.isEmpty()) {
          return false;
        } else if (data == null) {
          zk.create().storingStatIn(stat).forPath(path, encode(next));
          zxid = stat.getMzxid();
        } else if (next.isEmpty()) {
          zk.delete().withVersion(stat.getVersion()).forPath(path);
          awaitSeen(user, Long.MAX_VALUE);
          return true;
        } else {
          zxid = zk.setData().withVersion(stat.getVersion()).forPath(path, encode(next)).getMzxid();
        }
        awaitSeen(user, zxid);
        return data != null;
      } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
          | KeeperException.NoNodeException e) {
        // another broker changed the user meanwhile: read again
      }
    }
    throw new SluiceException(ErrorCode.USER_CREDENTIAL_CONFLICT, "User '" + user + "' changed " + MAX_ATTEMPTS
        + " times while this request changed it; retry");
  }

  /** Waits (bounded) until this broker's view has the user at {@code zxid} or later; MAX_VALUE: deleted. */
  private void awaitSeen(String user, long zxid) throws InterruptedException {
    long deadline = System.nanoTime() + SEEN_TIMEOUT_MS * 1_000_000;
    synchronized (seen) {
      while (!shows(user, zxid)) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          throw new SluiceException(ErrorCode.REQUEST_TIMED_OUT, "The change of user '" + user
              + "' is written but this broker did not hear of it in time");
        }
        seen.wait(left);
      }
    }
  }

  private boolean shows(String user, long zxid) {
    User u = users.get(user);
    return zxid == Long.MAX_VALUE ? u == null : u != null && u.mzxid() >= zxid;
  }

  private void changed(ChildData data) {
    String user = userOf(data.getPath());
    if (user != null) {
      try {
        users.put(user, new User(parse(data.getData()), data.getStat().getMzxid()));
      } catch (RuntimeException e) {
        System.getLogger(CredentialStore.class.getName()).log(System.Logger.Level.WARNING,
            "Ignoring unreadable credentials of user '" + user + "': " + e);
        users.remove(user);
      }
      notifySeen();
    }
  }

  private void deleted(ChildData data) {
    String user = userOf(data.getPath());
    if (user != null) {
      users.remove(user);
      notifySeen();
    }
  }

  /** A number that changes whenever a user's credentials do. */
  long version() {
    return version.get();
  }

  private void notifySeen() {
    version.incrementAndGet();
    synchronized (seen) {
      seen.notifyAll();
    }
  }

  private static String userOf(String path) {
    return path.startsWith(USERS + "/") ? path.substring(USERS.length() + 1) : null;
  }

  private static Map<Mechanism, ScramCredential> parse(byte[] data) {
    JsonObject config = new JsonObject(new String(data, StandardCharsets.UTF_8)).getJsonObject("config",
        new JsonObject());
    Map<Mechanism, ScramCredential> creds = new EnumMap<>(Mechanism.class);
    for (String name : config.fieldNames()) {
      Mechanism m = Mechanism.named(name);
      if (m != null) {
        creds.put(m, ScramCredential.parse(m, config.getString(name)));
      }
    }
    return Collections.unmodifiableMap(creds);
  }

  private static byte[] encode(Map<Mechanism, ScramCredential> creds) {
    JsonObject config = new JsonObject();
    creds.forEach((m, c) -> config.put(m.wireName, c.format()));
    return new JsonObject().put("version", 1).put("config", config).encode().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    if (cache != null) {
      cache.close();
      cache = null;
    }
    users.clear(); // a start after a failed one reads them all again
  }
}
