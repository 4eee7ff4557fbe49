package io.sluice.tls;

import io.sluice.api.ConfigAlteration;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.SslConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.BrokerConfigsEndpoint;
import io.sluice.http.BrokerConfigsEndpoint.Entry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.lang.System.Logger.Level;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Rotates a listener's key and trust stores without a restart, as Kafka's dynamic SSL update (KIP-226): an
 * alteration of {@code listener.name.<l>.ssl.keystore.*} / {@code ssl.truststore.*} (l: {@code http} or
 * {@code broker}; files, or inline PEM values) re-reads the files even at the same path, refuses a store that does
 * not load or has no key, and one whose certificate changes its subject or drops a name unless the listener's
 * {@code ssl.allow.dn.changes} / {@code ssl.allow.san.changes} allow it (see {@link SslConfig#requireCompatible}),
 * keeping the old; otherwise it is stored in ZooKeeper ({@link BrokerConfigStore}, passwords and inline PEM values
 * encrypted by {@code password.encoder.secret}) and the listener's servers take it for new connections. At start
 * the stored stores are read before any listener serves, so a restart serves the rotated certificate.
 *
 * <p>As in Kafka these are per-broker configs: the cluster-wide default ({@code -}) refuses them, unprefixed
 * {@code ssl.*} keys are refused, and a broker alters only its own (the files are its own).
 *
 * <p>It also watches the broker's ZooKeeper client store files ({@link ZooKeeperStoresWatch}), which ZooKeeper reads
 * again at every connection, to report a replaced one when it happens rather than at the next reconnection.
 *
 * <p>Threads: file reads, key parsing, PBKDF2 and ZooKeeper on the {@code sluice-listener-tls} worker (one thread:
 * alterations apply one after the other).
 */
public final class ListenerTlsService implements BrokerComponent, BrokerConfigsEndpoint.Configs {
  static final String POOL = "sluice-listener-tls";
  static final String DEFAULT_BROKER = "-";
  private static final System.Logger LOG = System.getLogger(ListenerTlsService.class.getName());
  private static final String PREFIX = "listener.name.";
  private static final List<String> LISTENERS = SslConfig.LISTENERS;
  /** What a listener's dynamic configs may name: its stores and its rotation rules. */
  private static final List<String> DYNAMIC = concat(SslConfig.RELOADABLE, SslConfig.ROTATION_RULES);

  private final Vertx vertx;
  private final BrokerConfig config;
  private WorkerExecutor pool;
  private BrokerConfigStore store;
  /** The stored dynamic configs, passwords in the clear; replaced (never changed) on the worker. */
  private volatile Map<String, String> dynamic = Map.of();
  private long storesTimer = -1;

  public ListenerTlsService(BrokerComponent.Context context) {
    this.vertx = context.vertx();
    this.config = context.config();
    context.services().extensions().add(new BrokerConfigsEndpoint(this));
  }

  @Override
  public String name() {
    return "listener TLS";
  }

  @Override
  public Future<Void> start() {
    pool = vertx.createSharedWorkerExecutor(POOL, 1);
    ZookeeperClusterManager cm = (ZookeeperClusterManager) ((VertxInternal) vertx).clusterManager();
    store = new BrokerConfigStore(cm.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE));
    return blocking(() -> {
      Map<String, String> stored = decoded(store.read(config.brokerId()));
      dynamic = stored;
      for (String listener : LISTENERS) {
        Map<String, String> overrides = overrides(stored, listener);
        if (!overrides.isEmpty() && config.ssl().serves(listener)) {
          try {
            rotate(listener, config.with(overrides).ssl());
          } catch (ConfigException e) {
            // The stored store no longer loads (a file moved): the static one still serves rather than nothing.
            LOG.log(Level.ERROR, "Listener " + listener + " keeps its static TLS stores: its stored ones ("
                + overrides.keySet() + ") do not load: " + e.getMessage());
          }
        }
      }
      return null;
    }).compose(v -> watchZooKeeperStores());
  }

  /** Checks the ZooKeeper client's store files now and then, on the worker, so a replaced one is reported at once. */
  private Future<Void> watchZooKeeperStores() {
    if (!ZooKeeperStoresWatch.wanted(config)) {
      return Future.succeededFuture();
    }
    return blocking(() -> new ZooKeeperStoresWatch(config)).map(watch -> {
      storesTimer = vertx.setPeriodic(ZooKeeperStoresWatch.intervalMs(config), id -> pool.executeBlocking(watch::check, true));
      return null;
    });
  }

  @Override
  public Future<Void> stop() {
    if (storesTimer >= 0) {
      vertx.cancelTimer(storesTimer);
    }
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  @Override
  public Future<List<Entry>> describe(String broker) {
    try {
      return Future.succeededFuture(broker.equals(DEFAULT_BROKER) ? List.of() : entries(own(broker), dynamic));
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<List<Entry>> alter(String broker, List<ConfigAlteration> changes, boolean validateOnly) {
    try {
      List<String> names = changes.stream().map(ConfigAlteration::name).toList();
      if (broker.equals(DEFAULT_BROKER)) {
        names.forEach(ListenerTlsService::listenerOf);
        throw invalid("Cannot update these configs at default cluster level, broker id must be specified: " + names);
      }
      int id = own(broker);
      if (store == null) {
        return Future.failedFuture(new SluiceException(ErrorCode.BROKER_NOT_AVAILABLE, "The broker is starting"));
      }
      return blocking(() -> alterNow(id, changes, validateOnly));
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
  }

  /** On the worker: validates every change, then stores and applies them (unless {@code validateOnly}). */
  private List<Entry> alterNow(int id, List<ConfigAlteration> changes, boolean validateOnly) throws Exception {
    Map<String, String> next = new LinkedHashMap<>(dynamic);
    List<String> touched = new ArrayList<>();
    for (ConfigAlteration c : changes) {
      String listener = listenerOf(c.name());
      if (!config.ssl().serves(listener)) {
        throw invalid("Listener " + listener + " does not serve TLS (" + (listener.equals(SslConfig.HTTP_LISTENER)
            ? SslConfig.HTTP_SSL_ENABLE + "=false" : SslConfig.INTER_BROKER_PROTOCOL + "=PLAINTEXT")
            + "): its stores cannot be rotated: " + c.name());
      }
      if (c.op() == ConfigAlteration.Op.SET) {
        next.put(c.name(), c.value());
      } else {
        next.remove(c.name());
      }
      if (!touched.contains(listener)) {
        touched.add(listener);
      }
    }
    Map<String, SslConfig> rotations = new LinkedHashMap<>();
    for (String listener : touched) {
      rotations.put(listener, validated(listener, overrides(next, listener)));
    }
    Map<String, String> encoded = encoded(next);
    if (!validateOnly) {
      store.write(id, encoded);
      dynamic = Map.copyOf(next);
      for (Map.Entry<String, SslConfig> r : rotations.entrySet()) {
        rotate(r.getKey(), r.getValue());
      }
    }
    return entries(id, validateOnly ? next : dynamic);
  }

  /** The listener's stores with {@code overrides}, loaded and checked against the ones it serves now. */
  private SslConfig validated(String listener, Map<String, String> overrides) {
    SslConfig next;
    try {
      next = overrides.isEmpty() ? config.ssl() : config.with(overrides).ssl();
      next.requireCompatible(config.ssl().listener(listener).current(), listener);
    } catch (ConfigException e) {
      throw invalid("Listener " + listener + " keeps its stores: " + e.getMessage());
    }
    return next;
  }

  /** Hands {@code next} to the listener's servers and waits for them (on the worker: they build their contexts). */
  private void rotate(String listener, SslConfig next) throws Exception {
    config.ssl().listener(listener).rotate(next).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    LOG.log(Level.INFO, "Listener " + listener + " rotated its TLS stores");
  }

  /** The listener a config name belongs to; refuses any name that is not one of a listener's dynamic keys. */
  private static String listenerOf(String name) {
    if (DYNAMIC.contains(name)) {
      throw invalid("These security configs can be dynamically updated only per-listener using the listener prefix"
          + " (" + PREFIX + "<" + String.join("|", LISTENERS) + ">." + name + "): [" + name + "]");
    }
    for (String listener : LISTENERS) {
      String prefix = PREFIX + listener + ".";
      if (name.startsWith(prefix) && DYNAMIC.contains(name.substring(prefix.length()))) {
        return listener;
      }
    }
    throw invalid("Cannot update these configs dynamically: [" + name + "] (dynamic broker configs are "
        + PREFIX + "<" + String.join("|", LISTENERS) + ">.<one of " + DYNAMIC + ">)");
  }

  /**
   * The listener's dynamic configs in {@code all} as overrides of the static config: its stores' keys without their
   * prefix (the stores are read from the unprefixed keys), its rules with it (so they win over the static ones).
   */
  private static Map<String, String> overrides(Map<String, String> all, String listener) {
    String prefix = PREFIX + listener + ".";
    Map<String, String> out = new LinkedHashMap<>();
    all.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        String key = k.substring(prefix.length());
        out.put(SslConfig.RELOADABLE.contains(key) ? key : k, v);
      }
    });
    return out;
  }

  private List<Entry> entries(int id, Map<String, String> values) {
    List<Entry> out = new ArrayList<>();
    for (String listener : LISTENERS) {
      if (!config.ssl().serves(listener)) {
        continue;
      }
      for (String key : DYNAMIC) {
        String name = SslConfig.listenerKey(listener, key);
        boolean sensitive = isSensitive(key);
        Object own = config.effectiveValues().get(name);
        Object fixed = own != null ? own : config.effectiveValues().get(key);
        String value = values.containsKey(name) ? values.get(name) : String.valueOf(fixed);
        String source = values.containsKey(name) ? "DYNAMIC_BROKER_CONFIG"
            : own == null && fixed.equals(BrokerConfig.key(key).orElseThrow().defaultValue()) ? "DEFAULT_CONFIG"
            : "STATIC_BROKER_CONFIG";
        out.add(new Entry(name, sensitive ? null : value, source, sensitive));
      }
    }
    return out;
  }

  private int own(String broker) {
    String mine = String.valueOf(config.brokerId());
    if (!broker.equals(mine)) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "Unexpected broker id, expected " + mine + " or '"
          + DEFAULT_BROKER + "', but received '" + broker + "': send a broker's configs to that broker (its key"
          + " and trust store files are its own)");
    }
    return config.brokerId();
  }

  private Map<String, String> encoded(Map<String, String> plain) throws GeneralSecurityException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : plain.entrySet()) {
      out.put(e.getKey(), isSensitive(e.getKey()) ? encoder(e.getKey()).encode(e.getValue()) : e.getValue());
    }
    return out;
  }

  private Map<String, String> decoded(Map<String, String> stored) {
    Map<String, String> out = new LinkedHashMap<>();
    stored.forEach((k, v) -> {
      if (!isSensitive(k)) {
        out.put(k, v);
        return;
      }
      try {
        out.put(k, encoder(k).decode(v));
      } catch (GeneralSecurityException | SluiceException e) {
        LOG.log(Level.ERROR, "Stored config " + k + " is left out: it cannot be decoded with "
            + SslConfig.PASSWORD_ENCODER_SECRET + " (" + e.getMessage() + ")");
      }
    });
    return Map.copyOf(out);
  }

  private PasswordEncoder encoder(String name) {
    String secret = config.getString(SslConfig.PASSWORD_ENCODER_SECRET);
    if (secret.isEmpty()) {
      throw invalid(SslConfig.PASSWORD_ENCODER_SECRET + " is not set: the secret " + name + " would be stored in"
          + " ZooKeeper in the clear; set it on every broker (or use a PEM store file, which has no password)");
    }
    return new PasswordEncoder(secret);
  }

  /** Whether {@code name} (a listener's key, or its unprefixed form) is one of {@link SslConfig#SENSITIVE}. */
  private static boolean isSensitive(String name) {
    return SslConfig.SENSITIVE.stream().anyMatch(k -> name.equals(k) || name.endsWith("." + k));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_CONFIG, message);
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return pool.executeBlocking(work, true);
  }
}
