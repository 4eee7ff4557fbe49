package io.sluice.broker.testing;

import io.sluice.config.ZooKeeperClientSasl;
import io.sluice.config.ZooKeeperClientTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * JAAS files for SASL DIGEST-MD5 with ZooKeeper, Kafka's layout: a {@code Server} section with the users
 * {@code broker}, {@code tool} and {@code admin}, and one client section per user ({@code Client} is the broker).
 */
public final class SaslZooKeeper {
  public static final String DIGEST = "org.apache.zookeeper.server.auth.DigestLoginModule";
  public static final String BROKER = "broker";
  public static final String TOOL = "tool";
  public static final String ADMIN = "admin";

  private SaslZooKeeper() {
  }

  /** A JAAS file under {@code dir}: the three users known to its Server section, {@code brokerPassword} in Client. */
  public static Path jaas(Path dir, String name, String brokerPassword) {
    return write(dir.resolve(name), "Server {\n  " + DIGEST + " required user_broker=\"broker-secret\""
        + " user_tool=\"tool-secret\" user_admin=\"admin-secret\";\n};\n"
        + client("Client", BROKER, brokerPassword) + client("Tool", TOOL, "tool-secret")
        + client("Admin", ADMIN, "admin-secret"));
  }

  /** A client section logging in as {@code user}. */
  public static String client(String section, String user, String password) {
    return section + " {\n  " + DIGEST + " required username=\"" + user + "\" password=\"" + password + "\";\n};\n";
  }

  public static Path write(Path file, String text) {
    try {
      return Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The client keys logging in with {@code file}'s {@code section}. */
  public static Map<String, String> clientKeys(Path file, String section, boolean setAcl) {
    Map<String, String> m = new HashMap<>();
    m.put(ZooKeeperClientSasl.JAAS_CONFIG, file.toString());
    m.put(ZooKeeperClientSasl.CLIENT_SECTION, section);
    m.put(ZooKeeperClientTls.SET_ACL, Boolean.toString(setAcl));
    return m;
  }

  /** A properties file of {@code keys} (a tool's --zk-tls-config-file). */
  public static Path properties(Path file, Map<String, String> keys) {
    StringBuilder b = new StringBuilder();
    keys.forEach((k, v) -> b.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
    return write(file, b.toString());
  }

  /** A client logging in with {@code file}'s {@code section}. */
  public static ZooKeeperClientTls client(Path file, String section, boolean setAcl) {
    return ZooKeeperClientTls.of(clientKeys(file, section, setAcl));
  }

  /** A client without credentials. */
  public static ZooKeeperClientTls anonymous() {
    return ZooKeeperClientTls.of(Map.of());
  }
}
