package io.sluice.broker;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.DatadirCleanupManager;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZKDatabase;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

/**
 * A standalone ZooKeeper server inside the broker's JVM, for brokers that were given no {@code zookeeper.connect}.
 * It listens on a loopback port and keeps its snapshots and transaction logs under {@code <data dir>/zookeeper/data}
 * (the layout ZooKeeper's own server uses: a {@code version-2} directory), so topic metadata survives a restart as
 * the partition logs do.
 *
 * <p>The port is {@code zookeeper.embedded.port}: with a fixed port (the shipped {@code conf/sluice.json} says 2181)
 * the first broker on a machine runs the server and the next ones join it. Brokers started at the same moment all
 * see the port free and race for it: the listening socket is bound before anything else happens, synchronously,
 * so a loser learns at once ({@link PortTakenException}) and joins the winner instead of waiting for a server that
 * will never start. With port 0 the server takes a free port found by binding port 0 and releasing it; another
 * process could take it in between, so {@link #start} then retries with a new port.
 *
 * <p>The server is assembled from ZooKeeper's parts (as ZooKeeper's {@code ZooKeeperServerMain} does) rather than
 * through {@code ZooKeeperServerEmbedded}, whose start waits out its whole timeout when the bind fails. It never
 * exits the JVM and runs no AdminServer (which would take port 8080).
 *
 * <p>{@link #start} and {@link #close} block: call them off any event loop.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EmbeddedZooKeeper.class.getName());
  private static final int START_ATTEMPTS = 5;
  /** ZooKeeper clamps session timeouts to 2..20 ticks: 1 s ticks allow 2 s to 20 s sessions. */
  private static final int TICK_TIME_MS = 1_000;
  /** Connections per client address; every broker holds one (plus tools), far below this. */
  private static final int MAX_CLIENT_CNXNS = 1_000;
  private static final String MAX_CNXNS_PROPERTY = "zookeeper.maxCnxns";
  /** Snapshots kept by the hourly purge, so that a long-lived broker does not fill its disk with them. */
  private static final int SNAP_RETAIN_COUNT = 3;
  private static final int PURGE_INTERVAL_HOURS = 1;

  private final ServerCnxnFactory cnxnFactory;
  private final ZooKeeperServer server;
  private final FileTxnSnapLog txnLog;
  private final DatadirCleanupManager purge;
  private final String connectString;

  private EmbeddedZooKeeper(ServerCnxnFactory cnxnFactory, ZooKeeperServer server, FileTxnSnapLog txnLog,
      DatadirCleanupManager purge, String connectString) {
    this.cnxnFactory = cnxnFactory;
    this.server = server;
    this.txnLog = txnLog;
    this.purge = purge;
    this.connectString = connectString;
  }

  /** Another process listens on the fixed port asked for: join the ZooKeeper there instead. */
  public static final class PortTakenException extends IllegalStateException {
    private final int port;

    PortTakenException(int port, Throwable cause) {
      super("Port " + port + " is taken by another process", cause);
      this.port = port;
    }

    public int port() {
      return port;
    }
  }

  /** Starts a server on a free port with its files under {@code baseDir}; returns once it accepts connections. */
  public static EmbeddedZooKeeper start(Path baseDir) {
    return start(baseDir, 0);
  }

  /**
   * Starts a server on {@code fixedPort} (0: a free port) with its files under {@code baseDir}; returns once it
   * accepts connections.
   *
   * @throws PortTakenException if {@code fixedPort} is not 0 and another process listens on it
   */
  public static EmbeddedZooKeeper start(Path baseDir, int fixedPort) {
    return bind(baseDir, fixedPort).serve();
  }

  /** {@link #bind(Path, int, EmbeddedZooKeeperTls)} in plaintext. */
  public static Bound bind(Path baseDir, int fixedPort) {
    return bind(baseDir, fixedPort, null);
  }

  /** {@link #bind(Path, int, EmbeddedZooKeeperTls, EmbeddedZooKeeperAuth)} admitting every client. */
  public static Bound bind(Path baseDir, int fixedPort, EmbeddedZooKeeperTls tls) {
    return bind(baseDir, fixedPort, tls, null);
  }

  /**
   * Takes the port only ({@code fixedPort}, or a free one for 0): the connect string is known from here, so clients
   * may start connecting while {@link Bound#serve} loads the data (their connections wait in the socket's backlog).
   *
   * With {@code tls} (null: plaintext) the port serves TLS only and the server listens from here on: ZooKeeper's
   * Netty factory binds only when it starts accepting, and a client that connects before {@link Bound#serve} is
   * turned away and retries. With {@code auth} (null: none) clients log in with SASL and super users pass every ACL.
   *
   * @throws PortTakenException if {@code fixedPort} is not 0 and another process listens on it
   */
  public static Bound bind(Path baseDir, int fixedPort, EmbeddedZooKeeperTls tls, EmbeddedZooKeeperAuth auth) {
    int attempts = fixedPort == 0 ? START_ATTEMPTS : 1;
    for (int attempt = 1; ; attempt++) {
      int port = fixedPort == 0 ? freeLoopbackPort() : fixedPort;
      try {
        return new Bound(baseDir.resolve("data"), port, bindOn(port, tls, auth), tls != null, auth);
      } catch (BindException e) {
        if (fixedPort != 0) {
          throw new PortTakenException(port, e);
        }
        if (attempt >= attempts) {
          throw new IllegalStateException("Embedded ZooKeeper in " + baseDir + " found no free port in " + attempts
              + " attempts", e);
        }
        LOG.log(Level.WARNING, "Embedded ZooKeeper lost port " + port + " to another process (attempt " + attempt
            + "); retrying on another port");
      } catch (IOException e) {
        throw new IllegalStateException("Embedded ZooKeeper in " + baseDir + " did not start: " + e, e);
      }
    }
  }

  /** The listening socket (a lost race shows as a BindException before any file is touched); nothing served yet. */
  private static ServerCnxnFactory bindOn(int port, EmbeddedZooKeeperTls tls, EmbeddedZooKeeperAuth auth)
      throws IOException {
    // ZooKeeper takes its bound on all connections only from this property, and warns at every start without it
    // (clients are all on loopback, so the per-address bound is the total one).
    if (System.getProperty(MAX_CNXNS_PROPERTY) == null) {
      System.setProperty(MAX_CNXNS_PROPERTY, Integer.toString(MAX_CLIENT_CNXNS));
    }
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    if (tls != null) {
      return listenSecure(address, tls, auth);
    }
    ServerCnxnFactory cnxnFactory = ServerCnxnFactory.createFactory();
    cnxnFactory.configure(address, MAX_CLIENT_CNXNS);
    if (auth != null) {
      configureAuth(cnxnFactory, auth);
    }
    return cnxnFactory;
  }

  /** A TLS-only factory, listening: Netty's bind error comes undeclared, and is told apart by its message. */
  private static ServerCnxnFactory listenSecure(InetSocketAddress address, EmbeddedZooKeeperTls tls,
      EmbeddedZooKeeperAuth auth) throws IOException {
    ServerCnxnFactory cnxnFactory;
    try {
      cnxnFactory = tls.newFactory();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("This ZooKeeper version's Netty server cannot take the embedded TLS settings: "
          + e, e);
    }
    cnxnFactory.configure(address, MAX_CLIENT_CNXNS, -1, true);
    try {
      if (auth != null) {
        auth.configure(cnxnFactory);
      }
      cnxnFactory.start();
      return cnxnFactory;
    } catch (Exception e) {
      cnxnFactory.shutdown();
      if (e instanceof BindException || String.valueOf(e.getMessage()).contains("Address already in use")) {
        throw (BindException) new BindException(e.getMessage()).initCause(e);
      }
      throw e instanceof IOException io ? io : new IOException(e);
    }
  }

  /** A server that holds its port but serves nothing yet: {@link #serve} or {@link #release} it, once. */
  public static final class Bound {
    private final Path dataDir;
    private final int port;
    private final ServerCnxnFactory cnxnFactory;
    private final boolean listening;
    private final EmbeddedZooKeeperAuth auth;

    private Bound(Path dataDir, int port, ServerCnxnFactory cnxnFactory, boolean listening,
        EmbeddedZooKeeperAuth auth) {
      this.dataDir = dataDir;
      this.port = port;
      this.cnxnFactory = cnxnFactory;
      this.listening = listening;
      this.auth = auth;
    }

    /** {@code 127.0.0.1:<port>}. */
    public String connectString() {
      return "127.0.0.1:" + port;
    }

    /** Loads the data and serves; returns once it accepts connections. The port is released if this fails. */
    public EmbeddedZooKeeper serve() {
      try {
        return serveOn(dataDir, cnxnFactory, connectString(), listening, auth);
      } catch (IOException e) {
        throw new IllegalStateException("Embedded ZooKeeper in " + dataDir + " did not start: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while starting the embedded ZooKeeper", e);
      }
    }

    /** Gives the port up without serving (a start that failed before {@link #serve}). */
    public void release() {
      cnxnFactory.shutdown();
    }
  }

  private static EmbeddedZooKeeper serveOn(Path dataDir, ServerCnxnFactory cnxnFactory, String connect,
      boolean listening, EmbeddedZooKeeperAuth auth) throws IOException, InterruptedException {
    FileTxnSnapLog txnLog = null;
    try {
      Files.createDirectories(dataDir);
      File dir = dataDir.toFile();
      txnLog = new FileTxnSnapLog(dir, dir);
      ZooKeeperServer server = auth == null
          ? new ZooKeeperServer(txnLog, TICK_TIME_MS, -1, -1, -1, new ZKDatabase(txnLog), "")
          : auth.newServer(txnLog, TICK_TIME_MS, new ZKDatabase(txnLog));
      // Serving before accepting (ZooKeeper's own startup does the reverse): a client that connected while the data
      // loaded waits in the backlog, where a connection accepted early is refused as "not running" and its client
      // retries only after a random pause of up to a second.
      cnxnFactory.setZooKeeperServer(server);
      server.startdata();
      server.startup();
      if (!listening) {
        cnxnFactory.start();
      }
      DatadirCleanupManager purge = new DatadirCleanupManager(dir, dir, SNAP_RETAIN_COUNT, PURGE_INTERVAL_HOURS);
      purge.start();
      LOG.log(Level.INFO, "Embedded ZooKeeper listening on {0} with data in {1}", connect, dataDir);
      return new EmbeddedZooKeeper(cnxnFactory, server, txnLog, purge, connect);
    } catch (IOException | InterruptedException | RuntimeException e) {
      cnxnFactory.shutdown();
      if (txnLog != null) {
        txnLog.close();
      }
      throw e;
    }
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

  /** The SASL login on a plaintext factory; the port is given up if it fails. */
  private static void configureAuth(ServerCnxnFactory cnxnFactory, EmbeddedZooKeeperAuth auth) throws IOException {
    try {
      auth.configure(cnxnFactory);
    } catch (IOException | RuntimeException e) {
      cnxnFactory.shutdown();
      throw e;
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
    purge.shutdown();
    cnxnFactory.shutdown();
    server.shutdown();
    try {
      txnLog.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "Closing the embedded ZooKeeper's transaction log failed: " + e);
    }
  }
}
