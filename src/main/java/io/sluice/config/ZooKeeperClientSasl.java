package io.sluice.config;

import static io.sluice.config.ConfigKey.boolKey;
import static io.sluice.config.ConfigKey.stringKey;

import java.util.List;
import java.util.function.Function;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * SASL authentication of a ZooKeeper client, configured as Kafka's brokers and tools are: a JAAS file (the JVM's
 * {@code -Djava.security.auth.login.config}, or {@value #JAAS_CONFIG} per broker or tool) with a {@code Client}
 * section, for DIGEST-MD5 ZooKeeper's {@code DigestLoginModule} with {@code username} and {@code password}. ZooKeeper
 * then knows the client as {@code sasl:<username>}, the id {@code zookeeper.set.acl} grants the znodes to.
 *
 * <p>The section is read and checked when the configuration is built (a missing file, section or login module stops
 * the start naming its key) and registered under a name of this client's ({@link ZooKeeperJaas}), which its own
 * {@link ZKClientConfig} names: brokers of one JVM keep their own users.
 */
public final class ZooKeeperClientSasl {
  public static final String JAAS_CONFIG = ZooKeeperJaas.FILE_PROPERTY;
  public static final String CLIENT_ENABLE = ZKClientConfig.ENABLE_CLIENT_SASL_KEY;
  public static final String CLIENT_SECTION = ZKClientConfig.LOGIN_CONTEXT_NAME_KEY;
  static final String DEFAULT_SECTION = ZKClientConfig.LOGIN_CONTEXT_NAME_KEY_DEFAULT;

  static final List<ConfigKey> KEYS = List.of(
      stringKey(JAAS_CONFIG, "", "the JAAS file whose " + DEFAULT_SECTION + " section (zookeeper.sasl.clientconfig)"
          + " logs the ZooKeeper client in with SASL (DIGEST-MD5: " + ZooKeeperJaas.DIGEST_LOGIN_MODULE + " with"
          + " username and password; ZooKeeper's id sasl:<username>); empty: the JVM's -D" + JAAS_CONFIG),
      boolKey(CLIENT_ENABLE, true, "authenticate to ZooKeeper with SASL when the JAAS file has the section (also"
          + " off when the JVM's -D" + CLIENT_ENABLE + "=false, ZooKeeper's own switch)"),
      stringKey(CLIENT_SECTION, "", "the JAAS section of the ZooKeeper client; empty: the JVM's -D" + CLIENT_SECTION
          + ", else " + DEFAULT_SECTION));

  private final String file;
  private final String section;
  private final String user;
  private final String registered;

  private ZooKeeperClientSasl(String file, String section, String user, String registered) {
    this.file = file;
    this.section = section;
    this.user = user;
    this.registered = registered;
  }

  /** The settings {@code get} answers for {@link #KEYS}; reads and registers the section. */
  static ZooKeeperClientSasl of(Function<String, String> get) {
    String file = get.apply(JAAS_CONFIG);
    String explicitSection = get.apply(CLIENT_SECTION);
    String section = !explicitSection.isEmpty() ? explicitSection
        : System.getProperty(CLIENT_SECTION, DEFAULT_SECTION);
    boolean enable = Boolean.parseBoolean(get.apply(CLIENT_ENABLE))
        && Boolean.parseBoolean(System.getProperty(CLIENT_ENABLE, "true"));
    AppConfigurationEntry[] entries = ZooKeeperJaas.read(file, section, JAAS_CONFIG);
    if (entries == null || entries.length == 0) {
      // ZooKeeper's rule: only a section asked for by name must exist (a file may hold the server's users only)
      if (enable && !explicitSection.isEmpty()) {
        throw new ConfigException(CLIENT_SECTION, "No JAAS section '" + section
            + "' (" + CLIENT_SECTION + ") in " + ZooKeeperJaas.describe(file) + ": the ZooKeeper client's SASL login"
            + " needs one, e.g. " + section + " { " + ZooKeeperJaas.DIGEST_LOGIN_MODULE
            + " required username=\"broker\" password=\"...\"; };");
      }
      return new ZooKeeperClientSasl(file, section, null, null);
    }
    if (!enable) {
      throw new ConfigException(CLIENT_ENABLE, "The JAAS section '" + section + "' of "
          + ZooKeeperJaas.describe(file) + " is present, but " + CLIENT_ENABLE + "=false disables SASL in the"
          + " ZooKeeper client: remove one or the other");
    }
    ZooKeeperJaas.requireModules(entries, section, file, JAAS_CONFIG);
    return new ZooKeeperClientSasl(file, section, user(entries, section, file), ZooKeeperJaas.register(entries));
  }

  /** The DIGEST-MD5 user name (or a Kerberos principal) of the section; DIGEST needs both its options. */
  private static String user(AppConfigurationEntry[] entries, String section, String file) {
    for (AppConfigurationEntry e : entries) {
      if (e.getLoginModuleName().equals(ZooKeeperJaas.DIGEST_LOGIN_MODULE)) {
        String name = ZooKeeperJaas.option(e, "username");
        if (name == null || name.isEmpty() || ZooKeeperJaas.option(e, "password") == null) {
          throw new ConfigException(JAAS_CONFIG, "The JAAS section '" + section + "' of "
              + ZooKeeperJaas.describe(file) + " needs username=\"...\" and password=\"...\" for "
              + ZooKeeperJaas.DIGEST_LOGIN_MODULE);
        }
        return name;
      }
      if (ZooKeeperJaas.option(e, "principal") != null) {
        return ZooKeeperJaas.option(e, "principal");
      }
    }
    return null;
  }

  /** Whether the client logs in with SASL. */
  public boolean enabled() {
    return registered != null;
  }

  /** The SASL user the client logs in as (null without SASL, or a login module naming none). */
  public String user() {
    return user;
  }

  /** Where the section comes from, for messages: {@code section 'Client' of FILE (java.security.auth.login.config)}. */
  public String source() {
    return "section '" + section + "' of " + ZooKeeperJaas.describe(file) + " (" + JAAS_CONFIG + ")";
  }

  /** Sets ZooKeeper's client keys: SASL with this client's registered section, or SASL off. */
  void applyTo(ZKClientConfig zk) {
    zk.setProperty(CLIENT_ENABLE, Boolean.toString(enabled()));
    if (enabled()) {
      zk.setProperty(CLIENT_SECTION, registered);
      zk.setProperty(JAAS_CONFIG, file.isEmpty() ? System.getProperty(JAAS_CONFIG, "") : file);
    }
  }
}
