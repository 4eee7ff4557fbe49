package io.sluice.broker;

import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.ZooKeeperClientSasl;
import io.sluice.config.ZooKeeperJaas;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginException;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Login;
import org.apache.zookeeper.common.ZKConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.AuthenticationHelper;
import org.apache.zookeeper.server.ServerCnxn;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZKDatabase;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.SASLAuthenticationProvider;
import org.apache.zookeeper.server.auth.SaslServerCallbackHandler;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

/**
 * Who the embedded ZooKeeper admits: SASL DIGEST-MD5 logins against the {@code user_<name>} options of a JAAS
 * {@code Server} section ({@code zookeeper.embedded.sasl.enable}), required of every session unless
 * {@code zookeeper.embedded.sasl.required=false}, and super users admitted to every znode whatever its ACLs
 * ({@code zookeeper.embedded.super.users}, SASL names; {@code zookeeper.embedded.super.digest}, a digest login).
 *
 * <p>ZooKeeper reads all of these from JVM-wide system properties ({@code zookeeper.sasl.serverconfig},
 * {@code zookeeper.superUser}, {@code zookeeper.DigestAuthenticationProvider.superDigest},
 * {@code zookeeper.enforce.auth.*}), which would make every embedded server of a JVM share one user list. Instead the
 * factory gets a {@link Login} over this server's section (registered under a name of its own, {@link ZooKeeperJaas}),
 * the server is a {@link ZooKeeperServer} whose ACL check admits this server's super users, and its authentication
 * helper (a private field, set by reflection: {@code EmbeddedZooKeeperAuthTest} fails if a ZooKeeper upgrade breaks
 * that) requires this server's schemes. The {@code sasl} scheme's provider is JVM-wide in ZooKeeper
 * ({@link ProviderRegistry}) and is registered once: it only lets ACLs name {@code sasl:} ids.
 */
public final class EmbeddedZooKeeperAuth {
  private static final String SASL_PROVIDER_KEY = ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + "sasl";
  private static final String USER_PREFIX = "user_";

  private final AppConfigurationEntry[] section;
  private final String registered;
  private final boolean required;
  private final Set<String> superUsers;
  private final String superDigest;

  private EmbeddedZooKeeperAuth(AppConfigurationEntry[] section, boolean required, Set<String> superUsers,
      String superDigest) {
    this.section = section;
    this.registered = section == null ? null : ZooKeeperJaas.register(section);
    this.required = section != null && required;
    this.superUsers = superUsers;
    this.superDigest = superDigest;
  }

  /** The embedded server's authentication from a broker's config; null when it has neither SASL nor super users. */
  public static EmbeddedZooKeeperAuth of(BrokerConfig config) {
    Set<String> superUsers = Arrays.stream(config.getString(BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_USERS).split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
    String digest = config.getString(BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_DIGEST);
    if (!digest.isEmpty() && (digest.indexOf(':') <= 0 || digest.endsWith(":"))) {
      throw new ConfigException(BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_DIGEST, "Invalid value for "
          + BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_DIGEST + ": must be user:base64(SHA1(user:password)), as"
          + " ZooKeeper's DigestAuthenticationProvider prints it");
    }
    boolean sasl = config.getBoolean(BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE);
    if (!sasl && superUsers.isEmpty() && digest.isEmpty()) {
      return null;
    }
    AppConfigurationEntry[] section = sasl ? serverSection(config) : null;
    boolean required = config.getBoolean(BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_REQUIRED);
    if (sasl && required && !config.zookeeperTls().sasl().enabled()) {
      throw new ConfigException(BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_REQUIRED,
          BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_REQUIRED + "=true, but this broker's own ZooKeeper client has no SASL"
          + " login: it needs the " + config.zookeeperTls().sasl().source() + ", e.g. Client { "
          + ZooKeeperJaas.DIGEST_LOGIN_MODULE + " required username=\"broker\" password=\"...\"; };");
    }
    return new EmbeddedZooKeeperAuth(section, required, superUsers, digest);
  }

  /** The JAAS section of the server's users, checked: present, its login modules loadable, with users. */
  private static AppConfigurationEntry[] serverSection(BrokerConfig config) {
    String file = config.getString(ZooKeeperClientSasl.JAAS_CONFIG);
    String name = config.getString(BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_SECTION);
    AppConfigurationEntry[] entries = ZooKeeperJaas.read(file, name, ZooKeeperClientSasl.JAAS_CONFIG);
    String hint = " (" + BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE + "), e.g. " + name + " { "
        + ZooKeeperJaas.DIGEST_LOGIN_MODULE + " required user_broker=\"...\"; };";
    if (entries == null || entries.length == 0) {
      throw new ConfigException(ZooKeeperClientSasl.JAAS_CONFIG, "No JAAS section '" + name + "' ("
          + BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_SECTION + ") in " + ZooKeeperJaas.describe(file)
          + ": the embedded ZooKeeper's SASL users need one" + hint);
    }
    ZooKeeperJaas.requireModules(entries, name, file, ZooKeeperClientSasl.JAAS_CONFIG);
    boolean users = Arrays.stream(entries).anyMatch(e -> e.getOptions().keySet().stream()
        .anyMatch(k -> k.startsWith(USER_PREFIX)));
    if (!users) {
      throw new ConfigException(ZooKeeperClientSasl.JAAS_CONFIG, "The JAAS section '" + name + "' of "
          + ZooKeeperJaas.describe(file) + " names no user (user_<name>=\"<password>\")" + hint);
    }
    return entries;
  }

  /** Gives {@code factory} (configured, not yet accepting) this server's SASL login. */
  void configure(ServerCnxnFactory factory) throws IOException {
    if (section == null) {
      return;
    }
    registerSaslProvider();
    Configuration mine = new Configuration() {
      @Override
      public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
        return section.clone(); // ZooKeeper asks for the section its system property names
      }
    };
    try {
      Login previous = factory.login; // the JVM's own Server section, if it has one
      factory.login = new Login(registered, new SaslServerCallbackHandler(mine), new ZKConfig());
      if (previous != null) {
        previous.shutdown();
      }
    } catch (LoginException e) {
      throw new IOException("The embedded ZooKeeper's SASL login failed: " + e.getMessage(), e);
    }
  }

  private static synchronized void registerSaslProvider() {
    if (System.getProperty(SASL_PROVIDER_KEY) == null) {
      System.setProperty(SASL_PROVIDER_KEY, SASLAuthenticationProvider.class.getName());
      ProviderRegistry.addOrUpdateProvider(SASL_PROVIDER_KEY);
    }
  }

  /** A ZooKeeper server admitting this server's super users, and with SASL required, only logged-in sessions. */
  ZooKeeperServer newServer(FileTxnSnapLog txnLog, int tickTime, ZKDatabase db) throws IOException {
    ZooKeeperServer server = new Server(txnLog, tickTime, db);
    if (required) {
      try {
        Field helper = ZooKeeperServer.class.getDeclaredField("authHelper");
        helper.setAccessible(true);
        helper.set(server, new Required());
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalStateException("This ZooKeeper version's server cannot take "
            + BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_REQUIRED + ": " + e, e);
      }
    }
    return server;
  }

  private boolean isSuper(List<Id> ids) {
    if (ids == null) {
      return false;
    }
    for (Id id : ids) {
      if (id.getScheme().equals("super") || id.getScheme().equals("sasl") && superUsers.contains(id.getId())
          || id.getScheme().equals("digest") && id.getId().equals(superDigest)) {
        return true;
      }
    }
    return false;
  }

  private final class Server extends ZooKeeperServer {
    Server(FileTxnSnapLog txnLog, int tickTime, ZKDatabase db) throws IOException {
      super(txnLog, tickTime, -1, -1, -1, db, "");
    }

    @Override
    public void checkACL(ServerCnxn cnxn, List<ACL> acl, int perm, List<Id> ids, String path, List<ACL> setAcls)
        throws KeeperException.NoAuthException {
      if (!isSuper(ids)) {
        super.checkACL(cnxn, acl, perm, ids, path, setAcls);
      }
    }
  }

  /**
   * ZooKeeper's enforcement with this server's rule: a session that logged in with SASL, or as a super user, passes;
   * any other gets ZooKeeper's own answer (its first request refused, the session closed).
   */
  private final class Required extends AuthenticationHelper {
    @Override
    public boolean isEnforceAuthEnabled() {
      return true;
    }

    @Override
    public boolean enforceAuthentication(ServerCnxn cnxn, int xid) throws IOException {
      List<Id> ids = cnxn.getAuthInfo();
      return ids.stream().anyMatch(id -> id.getScheme().equals("sasl")) || isSuper(ids)
          || super.enforceAuthentication(cnxn, xid);
    }
  }
}
