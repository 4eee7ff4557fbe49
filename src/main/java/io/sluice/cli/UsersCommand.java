package io.sluice.cli;

import io.sluice.security.ZkUsers;
import java.io.PrintStream;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;

/**
 * {@code sluice users set|delete|list --zookeeper HOST:PORT ...}: users' SCRAM credentials written straight to
 * ZooKeeper, for the first super user of a cluster with {@code authentication.method=BASIC} (the brokers need not
 * run; running ones honour the change at once). Once a super user exists, {@code /users} over HTTP does the same.
 */
public final class UsersCommand {
  static final String PASSWORD_ENV = "SLUICE_PASSWORD";
  private static final Set<String> VERBS = Set.of("set", "delete", "list");

  private UsersCommand() {
  }

  static String usage() {
    return """
        Usage:
          sluice users set    --zookeeper HOST:PORT --user U [--password P] [--mechanism SCRAM-SHA-256|SCRAM-SHA-512]
                              [--iterations N]
          sluice users delete --zookeeper HOST:PORT --user U [--mechanism M]
          sluice users list   --zookeeper HOST:PORT
        The password else comes from SLUICE_PASSWORD (kept out of the process list). Mechanism SCRAM-SHA-256 and
        4096 iterations (4096 to 16384) by default. HOST:PORT is the brokers' zookeeper.connect (the embedded
        ZooKeeper: 127.0.0.1:2181). --zk-tls-config-file FILE (every command) reaches ZooKeeper over TLS: a properties
        file of the brokers' zookeeper.ssl.* keys (and zookeeper.set.acl), as Kafka's flag.
        """;
  }

  /** Runs {@code sluice users ...} (the arguments after {@code users}); returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return new Subcommand("sluice users", usage(), true).run(args, out, err, (verb, options) -> {
      if (!VERBS.contains(verb)) {
        throw new UsageException("unknown command '" + verb + "'");
      }
      String zookeeper = options.get("zookeeper");
      if (zookeeper == null) {
        throw new UsageException("--zookeeper is required");
      }
      try (CuratorFramework zk = ZooKeeperCli.connect(zookeeper,
          ZooKeeperCli.settings(options.get(ZooKeeperCli.TLS_FILE_OPTION)));
          ZkUsers users = new ZkUsers(zk.usingNamespace("sluice"))) {
        return run(verb, options, users, out);
      }
    });
  }

  private static int run(String command, Map<String, String> o, ZkUsers users, PrintStream out) throws Exception {
    switch (command) {
      case "set" -> {
        String password = o.getOrDefault("password", System.getenv(PASSWORD_ENV));
        boolean created = users.set(o.get("user"), o.getOrDefault("mechanism", "SCRAM-SHA-256"),
            Integer.parseInt(o.getOrDefault("iterations", "4096")), password);
        out.println((created ? "Created" : "Updated") + " user " + o.get("user"));
      }
      case "delete" -> {
        users.delete(o.get("user"), o.get("mechanism"));
        out.println("Deleted " + (o.containsKey("mechanism") ? o.get("mechanism") + " of " : "") + "user "
            + o.get("user"));
      }
      default -> users.list().forEach(out::println);
    }
    return 0;
  }
}
