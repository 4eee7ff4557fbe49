package io.sluice.http;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the verticle instances serving one listening socket share: the count of open connections, held against
 * {@link HttpApiConfig#maxConnections()} for the whole server rather than per event loop, the count per client
 * address (held against {@link ConnectionLimits#maxConnectionsPerIp()}), the process's file-descriptor gauge, the
 * heap held by request bodies ({@link BodyMemory}) and by answers ({@link AnswerMemory}), and, when the configured
 * port is 0, the port the OS picked. Vert.x shares a socket between servers that listen on the same host and port,
 * but with port 0 each would get a port of its own: so they all listen on one negative port instead (see
 * {@link #listenPort()}).
 *
 * <p>Kept in a Vert.x local map under the host and port, or for port 0 under the deployment (the instances of a
 * deployment share its id); dropped when the last instance releases it. Thread-safe.
 */
final class SharedServerState implements Shareable {
  private static final String MAP_NAME = "sluice.http.servers";
  /** Source of the negative listen ports that stand for "a random port shared by one deployment". */
  private static final AtomicInteger RANDOM_PORT_KEYS = new AtomicInteger();
  private final int maxConnections;
  private final int maxConnectionsPerIp;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> openPerIp = new ConcurrentHashMap<>();
  private final FileDescriptorGauge descriptors;
  private final BodyMemory bodyMemory;
  private final AnswerMemory answerMemory;
  /** Instances using this state; changed only inside the shared map's compute functions. */
  private int users;
  private final int listenPort;

  private SharedServerState(HttpApiConfig cfg, int listenPort) {
    this.maxConnections = cfg.maxConnections();
    this.maxConnectionsPerIp = cfg.connections().maxConnectionsPerIp();
    this.descriptors = new FileDescriptorGauge(cfg.connections().minFreeFileDescriptors());
    this.bodyMemory = new BodyMemory(BodyMemory.capacity(cfg.connections().maxInflightBodyBytes(), cfg.maxBodyBytes()),
        cfg.maxBodyBytes());
    this.answerMemory = new AnswerMemory(AnswerMemory.capacity(cfg.connections().maxInflightAnswerBytes(),
        cfg.maxFetchBytes()));
    this.listenPort = listenPort;
  }

  static SharedServerState acquire(Vertx vertx, HttpApiConfig cfg, String deploymentId) {
    return servers(vertx).compute(key(cfg, deploymentId), (k, existing) -> {
      SharedServerState state = existing != null ? existing
          : new SharedServerState(cfg, cfg.port() != 0 ? cfg.port() : nextRandomPortKey());
      state.users++;
      return state;
    });
  }

  static void release(Vertx vertx, HttpApiConfig cfg, String deploymentId) {
    servers(vertx).computeIfPresent(key(cfg, deploymentId), (k, state) -> --state.users == 0 ? null : state);
  }

  private static int nextRandomPortKey() {
    return -1 - (RANDOM_PORT_KEYS.getAndIncrement() & Integer.MAX_VALUE);
  }

  private static LocalMap<String, SharedServerState> servers(Vertx vertx) {
    return vertx.sharedData().getLocalMap(MAP_NAME);
  }

  private static String key(HttpApiConfig cfg, String deploymentId) {
    return cfg.host() + ":" + (cfg.port() != 0 ? Integer.toString(cfg.port()) : "0/" + deploymentId);
  }

  /**
   * The port to pass to {@code listen}: the configured one, or for port 0 a negative number unique to this
   * deployment. Vert.x binds a negative port to a random port and shares that socket among servers listening on
   * the same negative number, so every instance of the deployment gets the same port the OS picked.
   */
  int listenPort() {
    return listenPort;
  }

  /** Takes a connection slot; false (and nothing taken) when the limit is reached. */
  boolean tryAcquireConnection() {
    while (true) {
      int current = open.get();
      if (current >= maxConnections) {
        return false;
      }
      if (open.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  void releaseConnection() {
    open.decrementAndGet();
  }

  /** Takes a slot of {@code address}'s; false (and nothing taken) when it holds its limit already. */
  boolean tryAcquireForAddress(InetAddress address) {
    boolean[] taken = {false};
    openPerIp.compute(address, (a, n) -> {
      int current = n == null ? 0 : n;
      if (current >= maxConnectionsPerIp) {
        return n;
      }
      taken[0] = true;
      return current + 1;
    });
    return taken[0];
  }

  void releaseForAddress(InetAddress address) {
    openPerIp.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }

  AnswerMemory answerMemory() {
    return answerMemory;
  }

  BodyMemory bodyMemory() {
    return bodyMemory;
  }

  FileDescriptorGauge descriptors() {
    return descriptors;
  }

  int openConnections() {
    return open.get();
  }
}
