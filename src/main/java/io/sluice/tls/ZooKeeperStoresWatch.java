package io.sluice.tls;

import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.ZooKeeperClientTls;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Tells the operator what a replaced ZooKeeper client store file means. ZooKeeper's Netty client socket builds its
 * TLS context from the {@code zookeeper.ssl.*} files at every connection, so a file replaced on disk is what the
 * broker's next reconnection shows, without a restart and with nothing to reload here; but that reconnection may come
 * hours later, and a broken file or a new subject would only show then. Each {@link #check} notices a change of the
 * files' content, loads them as ZooKeeper will and reports (and logs): the identity new connections will have, a
 * subject that no longer owns the znodes of {@code zookeeper.set.acl}, or stores that do not load.
 *
 * <p>Reads files and parses key stores: call on a worker.
 */
final class ZooKeeperStoresWatch {
  /** What a change means; {@code level} is the log's. */
  record Report(Level level, String message) {
  }

  private static final System.Logger LOG = System.getLogger(ZooKeeperStoresWatch.class.getName());

  private final BrokerConfig config;
  private final List<Path> files = new ArrayList<>();
  /** The identity the broker started with: the owner of the znodes it created with {@code zookeeper.set.acl}. */
  private final String identity;
  private String fingerprint;

  private static final List<String> LOCATIONS = List.of(ZooKeeperClientTls.KEYSTORE_LOCATION,
      ZooKeeperClientTls.TRUSTSTORE_LOCATION);

  ZooKeeperStoresWatch(BrokerConfig config) {
    this.config = config;
    for (String key : LOCATIONS) {
      if (!config.getString(key).isEmpty()) {
        files.add(Path.of(config.getString(key)));
      }
    }
    this.identity = config.zookeeperTls().identity();
    this.fingerprint = fingerprint();
  }

  /** Whether the broker's ZooKeeper client has store files to watch, and the watch is not turned off. */
  static boolean wanted(BrokerConfig config) {
    return config.zookeeperTls().enabled() && LOCATIONS.stream().anyMatch(k -> !config.getString(k).isEmpty())
        && intervalMs(config) > 0;
  }

  /** How often the files are compared with the last look ({@value ZooKeeperClientTls#STORES_CHECK_INTERVAL_MS}). */
  static long intervalMs(BrokerConfig config) {
    return config.getLong(ZooKeeperClientTls.STORES_CHECK_INTERVAL_MS);
  }

  /** Null when the files are as at the last check; otherwise what the new content means, logged too. */
  Report check() {
    String now = fingerprint();
    if (now.equals(fingerprint)) {
      return null;
    }
    fingerprint = now;
    Report report = report();
    LOG.log(report.level(), report.message());
    return report;
  }

  private Report report() {
    String stores = "ZooKeeper client stores changed on disk (" + files + ")";
    String next;
    try {
      next = ZooKeeperClientTls.of(config).identity();
    } catch (ConfigException e) {
      return new Report(Level.ERROR, stores + " but do not load: " + e.getMessage() + ". The open connection to"
          + " ZooKeeper goes on; the next reconnection will fail until they are fixed");
    }
    String shown = next == null ? "no client certificate" : "x509:" + next;
    if (config.zookeeperTls().setAcl() && !Objects.equals(next, identity)) {
      return new Report(Level.WARNING, stores + ": the next connection to ZooKeeper will authenticate as " + shown
          + ", but the znodes this broker created with " + ZooKeeperClientTls.SET_ACL + " belong to x509:"
          + identity + ": ZooKeeper will refuse them (NoAuth) unless the new identity is a super user; put back a"
          + " certificate with subject " + identity);
    }
    return new Report(Level.INFO, stores + ": they load, and the next connection to ZooKeeper will authenticate as "
        + shown);
  }

  private String fingerprint() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path f : files) {
        try {
          sha.update(Files.readAllBytes(f));
        } catch (IOException e) {
          sha.update(("unreadable: " + e).getBytes(StandardCharsets.UTF_8));
        }
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
