package io.sluice.cli;

import io.sluice.broker.Broker;
import io.sluice.http.HttpListener;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigKey;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Sluice's command line. {@code sluice [broker] [options]} runs a broker until the process is told to stop
 * (SIGTERM or Ctrl-C run a JVM shutdown hook that closes it cleanly); {@code sluice perf ...} runs the client load
 * tools ({@link io.sluice.cli.perf.PerfCommand}).
 *
 * <p>Exit codes: 0 after a clean stop or {@code --help}; 1 if the broker fails to start; 2 for a bad command line
 * or configuration.
 */
public final class Main {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;
  private static final long SHUTDOWN_MARGIN_MS = 2_000;

  private Main() {
  }

  public static void main(String[] args) {
    configureLogging();
    // Netty registers JFR events on its first buffer-chunk allocation, on an event loop: loading JFR's metadata
    // there stalled a loop for over a second on a loaded machine. Off unless the user asks for it.
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    int code = run(args, System.out, System.err);
    if (code != EXIT_OK) {
      System.exit(code);
    }
  }

  /** Applies the bundled logging setup unless the user named a file of their own. */
  private static void configureLogging() {
    if (System.getProperty("java.util.logging.manager") == null) { // before anything logs: it is read once
      System.setProperty("java.util.logging.manager", ShutdownLogManager.class.getName());
    }
    if (System.getProperty("java.util.logging.config.file") != null) {
      return;
    }
    try (InputStream in = Main.class.getResourceAsStream("/sluice-logging.properties")) {
      if (in != null) {
        java.util.logging.LogManager.getLogManager().readConfiguration(in);
      }
    } catch (IOException e) {
      System.err.println("sluice: default logging setup not applied: " + e);
    }
  }

  /** Runs the command line; for {@code broker} blocks until the JVM shuts down. Returns the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals("perf")) {
      return io.sluice.cli.perf.PerfCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals(ZooKeeperSecurityMigration.COMMAND)) {
      return ZooKeeperSecurityMigration.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("users")) {
      return UsersCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("cluster")) {
      return ClusterCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    CliOptions options;
    BrokerConfig config;
    try {
      options = CliOptions.parse(args);
      if (options.help()) {
        out.print(usage());
        return EXIT_OK;
      }
      config = options.brokerConfig();
    } catch (UsageException | ConfigException e) {
      err.println("sluice: " + e.getMessage());
      err.println("Run with --help for usage.");
      return EXIT_USAGE;
    }
    return runBroker(config, out, err);
  }

  private static int runBroker(BrokerConfig config, PrintStream out, PrintStream err) {
    if (!config.unknownKeys().isEmpty()) {
      err.println("sluice: warning: unknown configuration keys ignored: " + config.unknownKeys());
    }
    // The hook is in place before the start begins: a SIGTERM during the start waits for it, then closes.
    Future<Broker> starting = Broker.builder(config).listener(HttpListener::new).start();
    CountDownLatch stopped = new CountDownLatch(1);
    // Broker.close bounds itself by the grace; the margin only covers the hops between its steps.
    long shutdownMs = config.getInt(BrokerConfig.SHUTDOWN_TIMEOUT_MS);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        starting.transform(ar -> {
          if (ar.failed()) {
            return Future.succeededFuture();
          }
          out.println("Sluice broker " + config.brokerId() + " shutting down");
          return ar.result().close().onSuccess(v -> out.println("Sluice broker " + config.brokerId() + " stopped"));
        }).await(shutdownMs + SHUTDOWN_MARGIN_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        err.println("sluice: clean shutdown did not finish: " + e);
      } finally {
        ShutdownLogManager.flushHandlers();
        out.flush();
        stopped.countDown();
      }
    }, "sluice-shutdown"));
    Broker broker;
    try {
      broker = starting.await();
    } catch (RuntimeException e) {
      err.println("sluice: broker " + config.brokerId() + " failed to start: " + e);
      return EXIT_FAILED;
    }
    announce(broker, config, out);
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return EXIT_OK;
  }

  private static void announce(Broker broker, BrokerConfig config, PrintStream out) {
    out.println("Sluice broker " + broker.brokerId() + " using ZooKeeper " + broker.zookeeperConnect()
        + (broker.embeddedZooKeeper() ? " (embedded)" : ""));
    out.println("Sluice broker " + broker.brokerId() + " listening on " + (config.ssl().http() ? "https" : "http") + "://" + config.httpHost() + ":"
        + broker.httpPort());
    out.flush();
  }

  static String usage() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: sluice [broker] [options]\n       sluice perf produce|consume|e2e ... (sluice perf --help)\n"
        + "       sluice users set|delete|list --zookeeper HOST:PORT ... (sluice users --help)\n"
        + "       sluice zookeeper-security-migration --zookeeper.acl secure|unsecure --zookeeper.connect HOST:PORT"
        + " [--zk-tls-config-file FILE]\n"
        + "       sluice cluster unregister --bootstrap-server URL --id N (sluice cluster --help)\n\n")
        .append("Runs a Sluice broker until SIGTERM or Ctrl-C.\n\n")
        .append("Options (later ones win: config file < flags < --set):\n")
        .append("  --config FILE          JSON config file (default conf/sluice.json if it exists)\n")
        .append("  --http-port N          http.port (0 lets the OS choose)\n")
        .append("  --data-dir DIR         log.dirs\n")
        .append("  --broker-id N          broker.id\n")
        .append("  --zookeeper HOST:PORT[,HOST:PORT...]  zookeeper.connect: an external ensemble\n")
        .append("                         (none: an embedded ZooKeeper under <data dir>/zookeeper)\n")
        .append("  --set KEY=VALUE        any configuration key, repeatable\n")
        .append("  --help                 this text\n\n")
        .append("Configuration keys:\n");
    for (ConfigKey k : BrokerConfig.KEYS) {
      // A key without a default says in its doc what leaving it unset means; "(default: null)" said nothing.
      String dflt = k.defaultValue() == null ? "" : " (default: " + k.defaultValue() + ")";
      sb.append(String.format("  %-34s %s%s%n", k.name(), k.doc(), dflt));
    }
    return sb.toString();
  }
}
