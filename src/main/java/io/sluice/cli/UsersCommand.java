package io.sluice.cli;

import io.sluice.security.ZkUsers;
import java.io.PrintStream;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;

/**
 * {@code sluice users set|delete|list --zookeeper HOST:PORT ...}: users' SCRAM credentials written straight to
 * ZooKeeper, for the first super user of a cluster with {@code authentication.method=BASIC} (the brokers need not
 * run; running ones honour the change at once). Once a super user exists, {@code /users} over HTTP does the same.
 */
public final class UsersCommand {
  static final String PASSWORD_ENV = "SLUICE_PASSWORD";

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
    if (args.length == 0 || args[0].equals("--help")) {
      out.print(usage());
      return args.length == 0 ? 2 : 0;
    }
    Map<String, String> options;
    try {
      options = NameValueOptions.parse(args, 1);
    } catch (UsageException e) {
      err.println("sluice users: " + e.getMessage() + "\n" + usage());
      return 2;
    }
    String zookeeper = options.get("zookeeper");
    if (zookeeper == null) {
      err.println("sluice users: --zookeeper is required\n" + usage());
      return 2;
    }
    try (CuratorFramework zk = ZooKeeperCli.connect(zookeeper,
        ZooKeeperCli.settings(options.get(ZooKeeperCli.TLS_FILE_OPTION)))) {
      try (ZkUsers users = new ZkUsers(zk.usingNamespace("sluice"))) {
        return run(args[0], options, users, out, err);
      }
    } catch (Exception e) {
      err.println("sluice users: " + e.getMessage());
      return 1;
    }
  }

  private static int run(String command, Map<String, String> o, ZkUsers users, PrintStream out, PrintStream err)
      throws Exception {
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
      case "list" -> users.list().forEach(out::println);
      default -> {
        err.println("sluice users: unknown command '" + command + "'\n" + usage());
        return 2;
      }
    }
    return 0;
  }
}
