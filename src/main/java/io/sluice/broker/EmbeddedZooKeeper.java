package io.sluice.broker;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.System.Logger.Level;
import java.util.Properties;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;

/**
 * A standalone ZooKeeper server inside the broker's JVM, for brokers that were given no {@code zookeeper.connect}.
 * It listens on a loopback port and keeps its snapshots and transaction logs under {@code <data dir>/zookeeper}, so
 * topic metadata survives a restart as the partition logs do.
 *
 * <p>The port is {@code zookeeper.embedded.port}: with a fixed port (the shipped {@code conf/sluice.json} says 2181)
 * the first broker on a machine runs the server and the next ones find the port taken and join it, so brokers
 * started with nothing but distinct ids, HTTP ports and data directories form one cluster. With port 0 the server
 * takes a free port found by binding port 0 and releasing it; another process could take it in between, so
 * {@link #start} retries with a new port when the bind fails.
 *
 * <p>It never exits the JVM ({@code ExitHandler.LOG_ONLY}) and runs no AdminServer (which would take port 8080).
 *
 * <p>{@link #start} and {@link #close} block: call them off any event loop.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EmbeddedZooKeeper.class.getName());
  private static final int START_ATTEMPTS = 5;
  private static final long START_TIMEOUT_MS = 20_000;
  /** ZooKeeper clamps session timeouts to 2..20 ticks: 1 s ticks allow 2 s to 20 s sessions. */
  private static final int TICK_TIME_MS = 1_000;

  private final ZooKeeperServerEmbedded server;
  private final String connectString;

  private EmbeddedZooKeeper(ZooKeeperServerEmbedded server, String connectString) {
    this.server = server;
    this.connectString = connectString;
  }

  /** Starts a server on a free port with its files under {@code baseDir}; returns once it accepts connections. */
  public static EmbeddedZooKeeper start(Path baseDir) {
    return start(baseDir, 0);
  }

  /**
   * Starts a server on {@code fixedPort} (0: a free port) with its files under {@code baseDir}; returns once it
   * accepts connections.
   */
  public static EmbeddedZooKeeper start(Path baseDir, int fixedPort) {
    try {
      Files.createDirectories(baseDir);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot create ZooKeeper directory " + baseDir + ": " + e, e);
    }
    Exception last = null;
    int attempts = fixedPort == 0 ? START_ATTEMPTS : 1;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      int port = fixedPort == 0 ? freeLoopbackPort() : fixedPort;
      ZooKeeperServerEmbedded server = null;
      try {
        server = ZooKeeperServerEmbedded.builder()
            .baseDir(baseDir)
            .configuration(properties(baseDir, port))
            .exitHandler(ExitHandler.LOG_ONLY)
            .build();
        server.start(START_TIMEOUT_MS);
        String connect = "127.0.0.1:" + port;
        LOG.log(Level.INFO, "Embedded ZooKeeper listening on {0} with data in {1}", connect, baseDir.resolve("data"));
        return new EmbeddedZooKeeper(server, connect);
      } catch (Exception e) {
        last = e;
        if (server != null) {
          server.close();
        }
        if (!portTaken(port)) {
          break; // not a lost race for the port: trying again would fail the same way
        }
        LOG.log(Level.WARNING, "Embedded ZooKeeper lost port " + port + " to another process (attempt " + attempt
            + "); retrying on another port");
      }
    }
    throw new IllegalStateException("Embedded ZooKeeper in " + baseDir + " did not start (see its log above)", last);
  }

  /** Connections the embedded ZooKeeper accepts in all (0 would be unbounded). */
  static final int MAX_CONNECTIONS = 1024;

  private static Properties properties(Path baseDir, int port) {
    Properties p = new Properties();
    p.setProperty("dataDir", baseDir.resolve("data").toAbsolutePath().toString());
    p.setProperty("clientPort", Integer.toString(port));
    p.setProperty("clientPortAddress", "127.0.0.1");
    p.setProperty("tickTime", Integer.toString(TICK_TIME_MS));
    p.setProperty("initLimit", "10");
    p.setProperty("syncLimit", "5");
    // Unknown keys become "zookeeper."-prefixed system properties: this one turns the AdminServer off.
    p.setProperty("admin.enableServer", "false");
    // Becomes zookeeper.maxCnxns: a bound on every client connection (brokers hold one session each), which also
    // keeps ZooKeeper from warning at every start that none is configured.
    p.setProperty("maxCnxns", Integer.toString(MAX_CONNECTIONS));
    // Snapshots are purged so that a long-lived broker does not fill its disk with them.
    p.setProperty("autopurge.snapRetainCount", "3");
    p.setProperty("autopurge.purgeInterval", "1");
    return p;
  }

  /** Whether something already listens on loopback {@code port}. */
  @SuppressWarnings("try") // the socket is opened only to see whether the port is free
  public static boolean portTaken(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot find a free loopback port: " + e, e);
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String connectString() {
    return connectString;
  }

  @Override
  public void close() {
    server.close();
  }
}
