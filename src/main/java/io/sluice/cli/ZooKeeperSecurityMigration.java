package io.sluice.cli;

import io.sluice.broker.ZkAcls;
import io.sluice.config.ZooKeeperClientSasl;
import io.sluice.config.ZooKeeperClientTls;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * {@code sluice zookeeper-security-migration --zookeeper.acl secure|unsecure --zookeeper.connect HOST:PORT
 * [--zk-tls-config-file FILE]}: Kafka's tool of the same name. {@code secure} gives every existing znode of Sluice's
 * ({@code /sluice} and vertx-zookeeper's {@code /io.vertx}) the ACLs brokers with {@code zookeeper.set.acl=true}
 * create them with ({@link ZkAcls}: all rights to the identities this command authenticates as, certificate or SASL
 * user, which must be the brokers'); {@code unsecure} opens them to everyone again. Run it as the brokers, before
 * (secure) or after (unsecure) the brokers' {@code zookeeper.set.acl} changes.
 */
public final class ZooKeeperSecurityMigration {
  static final String COMMAND = "zookeeper-security-migration";
  private static final List<String> ROOTS = List.of("/sluice", "/io.vertx");

  private ZooKeeperSecurityMigration() {
  }

  static String usage() {
    return """
        Usage:
          sluice zookeeper-security-migration --zookeeper.acl secure|unsecure --zookeeper.connect HOST:PORT
                                              [--zk-tls-config-file FILE]
        secure: every znode of /sluice and /io.vertx gets all rights for the identities this command authenticates
        as (the certificate of FILE's zookeeper.ssl.keystore.location, the SASL user of the JAAS Client section of
        -Djava.security.auth.login.config or FILE's java.security.auth.login.config: use the brokers'), read for
        everyone except credentials, broker configs and /io.vertx. unsecure: every znode open to everyone (world:anyone, all rights).
        """;
  }

  /** Runs the command (the arguments after its name); returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return new Subcommand("sluice " + COMMAND, usage(), false).run(args, out, err, (verb, o) -> {
      String mode = o.get("zookeeper.acl");
      String connect = o.get("zookeeper.connect");
      if (connect == null || !("secure".equals(mode) || "unsecure".equals(mode))) {
        throw new UsageException("--zookeeper.connect and --zookeeper.acl secure|unsecure are required");
      }
      ZooKeeperClientTls tls = ZooKeeperCli.settings(o.get(ZooKeeperCli.TLS_FILE_OPTION));
      if (mode.equals("secure") && !tls.hasIdentity()) {
        err.println("sluice " + COMMAND + ": --zookeeper.acl secure needs an identity in ZooKeeper: a"
            + " --zk-tls-config-file with " + ZooKeeperClientTls.CLIENT_ENABLE + "=true and "
            + ZooKeeperClientTls.KEYSTORE_LOCATION + " (the brokers' certificate), or a SASL login as the brokers'"
            + " user (a JAAS file's Client section: -D" + ZooKeeperClientSasl.JAAS_CONFIG + " or the file's "
            + ZooKeeperClientSasl.JAAS_CONFIG + ")");
        return Subcommand.EXIT_USAGE;
      }
      try (CuratorFramework zk = ZooKeeperCli.connect(connect, tls)) {
        if (!zk.blockUntilConnected(30, TimeUnit.SECONDS)) {
          err.println("sluice " + COMMAND + ": no connection to ZooKeeper at " + connect + " within 30 s");
          return Subcommand.EXIT_FAILED;
        }
        int changed = migrate(zk, mode.equals("secure"));
        out.println((mode.equals("secure") ? "Secured " : "Unsecured ") + changed + " znodes");
        return Subcommand.EXIT_OK;
      }
    });
  }

  /** Sets the ACLs of every znode under the roots; returns how many were set. */
  static int migrate(CuratorFramework zk, boolean secure) throws Exception {
    int changed = 0;
    Deque<String> pending = new ArrayDeque<>(ROOTS);
    while (!pending.isEmpty()) {
      String path = pending.pop();
      List<ACL> acls = secure ? ZkAcls.secure(path) : ZooDefs.Ids.OPEN_ACL_UNSAFE;
      try {
        zk.setACL().withACL(acls).forPath(path);
        changed++;
        for (String child : zk.getChildren().forPath(path)) {
          pending.push(path + "/" + child);
        }
      } catch (KeeperException.NoNodeException e) {
        // an ephemeral znode gone meanwhile (or a root never created): nothing to secure
      }
    }
    return changed;
  }
}
