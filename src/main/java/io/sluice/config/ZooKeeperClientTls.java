package io.sluice.config;

import static io.sluice.config.ConfigKey.boolKey;
import static io.sluice.config.ConfigKey.longKey;
import static io.sluice.config.ConfigKey.stringKey;

import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.X509Util;

/**
 * How Sluice's ZooKeeper clients (the broker's, which vertx-zookeeper's cluster manager shares, and every CLI command
 * taking {@code --zookeeper}) reach ZooKeeper: Kafka's KIP-515 {@code zookeeper.ssl.*} keys, turned into ZooKeeper's
 * own {@link ZKClientConfig} (one per client, so that two brokers in one JVM may use different certificates), and
 * {@value #SET_ACL}.
 *
 * <p>Stores are loaded once here, as ZooKeeper will load them, so that a missing file or a wrong password is refused
 * at start naming its key rather than showing as a connection that never completes.
 */
public final class ZooKeeperClientTls {
  public static final String CLIENT_ENABLE = "zookeeper.ssl.client.enable";
  public static final String CNXN_SOCKET = "zookeeper.clientCnxnSocket";
  public static final String KEYSTORE_LOCATION = "zookeeper.ssl.keystore.location";
  public static final String KEYSTORE_PASSWORD = "zookeeper.ssl.keystore.password";
  public static final String KEYSTORE_TYPE = "zookeeper.ssl.keystore.type";
  public static final String TRUSTSTORE_LOCATION = "zookeeper.ssl.truststore.location";
  public static final String TRUSTSTORE_PASSWORD = "zookeeper.ssl.truststore.password";
  public static final String TRUSTSTORE_TYPE = "zookeeper.ssl.truststore.type";
  public static final String ENDPOINT_IDENTIFICATION = "zookeeper.ssl.endpoint.identification.algorithm";
  public static final String PROTOCOL = "zookeeper.ssl.protocol";
  public static final String ENABLED_PROTOCOLS = "zookeeper.ssl.enabled.protocols";
  public static final String CIPHER_SUITES = "zookeeper.ssl.cipher.suites";
  public static final String SET_ACL = "zookeeper.set.acl";
  public static final String STORES_CHECK_INTERVAL_MS = "zookeeper.ssl.stores.check.interval.ms";
  /** The only client socket that speaks TLS. */
  static final String NETTY_SOCKET = "org.apache.zookeeper.ClientCnxnSocketNetty";

  static final List<ConfigKey> KEYS = concat(ZooKeeperClientSasl.KEYS, List.of(
      boolKey(CLIENT_ENABLE, false, "connect to ZooKeeper over TLS (ZooKeeper's secureClientPort), presenting the"
          + " zookeeper.ssl.keystore.* certificate and trusting zookeeper.ssl.truststore.*"),
      stringKey(CNXN_SOCKET, "", "ZooKeeper's client socket class; empty: Netty with TLS, NIO without"),
      stringKey(KEYSTORE_LOCATION, "", "the key store whose certificate the broker shows ZooKeeper (its x509"
          + " identity there, which zookeeper.set.acl grants the znodes to)"),
      stringKey(KEYSTORE_PASSWORD, "", "the ZooKeeper key store's password"),
      stringKey(KEYSTORE_TYPE, "PKCS12", "PKCS12, JKS or PEM"),
      stringKey(TRUSTSTORE_LOCATION, "", "the CAs ZooKeeper's certificate is checked against (empty: the JVM's)"),
      stringKey(TRUSTSTORE_PASSWORD, "", "the ZooKeeper trust store's password"),
      stringKey(TRUSTSTORE_TYPE, "PKCS12", "PKCS12, JKS or PEM"),
      stringKey(ENDPOINT_IDENTIFICATION, "HTTPS", "HTTPS: ZooKeeper's certificate must name the host connected"
          + " to; empty: any certificate the trust store vouches for"),
      stringKey(PROTOCOL, "TLSv1.2", "the TLS protocol of the ZooKeeper connection's SSLContext"),
      stringKey(ENABLED_PROTOCOLS, "", "comma-separated TLS protocols allowed (empty: zookeeper.ssl.protocol)"),
      stringKey(CIPHER_SUITES, "", "comma-separated cipher suites allowed (empty: the JVM's)"),
      longKey(STORES_CHECK_INTERVAL_MS, 30_000L, 0, "how often the broker compares its ZooKeeper key and trust store"
          + " files with their last content, to log what a replaced one means before the next reconnection (0: never)"),
      boolKey(SET_ACL, false, "create every znode with ACLs: all rights for the broker's ZooKeeper identities (its"
          + " zookeeper.ssl.keystore certificate, its SASL user), read for everyone else except on credentials and broker configs"
          + " (/config/users, /config/brokers) and vertx-zookeeper's cluster state, which others cannot read")));

  private final Map<String, String> values;
  private final String identity;
  private final ZooKeeperClientSasl sasl;

  private ZooKeeperClientTls(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(values);
    this.identity = enabled() ? loadStores() : null;
    this.sasl = ZooKeeperClientSasl.of(values::get);
    if (setAcl() && !hasIdentity()) {
      throw new ConfigException(SET_ACL, SET_ACL + "=true needs an identity in ZooKeeper: set " + CLIENT_ENABLE
          + "=true and " + KEYSTORE_LOCATION + " (the broker's certificate), or a SASL login (a JAAS file's "
          + ZooKeeperClientSasl.DEFAULT_SECTION + " section: " + ZooKeeperClientSasl.JAAS_CONFIG + ")");
    }
  }

  private static List<ConfigKey> concat(List<ConfigKey> a, List<ConfigKey> b) {
    List<ConfigKey> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  /** The settings of a broker's config. */
  public static ZooKeeperClientTls of(BrokerConfig config) {
    return from(key -> String.valueOf(config.known(key)));
  }

  /**
   * The settings in {@code values} (a CLI's {@code --zk-tls-config-file}: Kafka's same keys); a key this class does
   * not know is refused, as a mistyped one would otherwise be ignored.
   */
  public static ZooKeeperClientTls of(Map<String, String> values) {
    for (String key : values.keySet()) {
      if (KEYS.stream().noneMatch(k -> k.name().equals(key))) {
        throw new ConfigException(key, "Unknown ZooKeeper client setting '" + key + "'; known: "
            + KEYS.stream().map(ConfigKey::name).toList());
      }
    }
    return from(key -> {
      ConfigKey k = KEYS.stream().filter(c -> c.name().equals(key)).findFirst().orElseThrow();
      return String.valueOf(k.parse(values.get(key)));
    });
  }

  private static ZooKeeperClientTls from(Function<String, String> get) {
    Map<String, String> m = new LinkedHashMap<>();
    KEYS.forEach(k -> m.put(k.name(), get.apply(k.name()).trim()));
    return new ZooKeeperClientTls(m);
  }

  /** Whether the client connects over TLS. */
  public boolean enabled() {
    return Boolean.parseBoolean(values.get(CLIENT_ENABLE));
  }

  /** Whether the znodes created get ACLs ({@value #SET_ACL}). */
  public boolean setAcl() {
    return Boolean.parseBoolean(values.get(SET_ACL));
  }

  /**
   * The id ZooKeeper's x509 provider authenticates this client as (its certificate's subject, RFC 2253), or null
   * without TLS or a key store.
   */
  public String identity() {
    return identity;
  }

  /** The client's SASL login ({@code java.security.auth.login.config}'s {@code Client} section). */
  public ZooKeeperClientSasl sasl() {
    return sasl;
  }

  /** Whether ZooKeeper knows this client as someone: a certificate's subject or a SASL user. */
  public boolean hasIdentity() {
    return identity != null || sasl.enabled();
  }

  /** The identities ZooKeeper knows this client as, with the settings that give them, for messages. */
  public String describeIdentity() {
    List<String> ids = new java.util.ArrayList<>();
    if (identity != null) {
      ids.add("x509:" + identity + " (" + KEYSTORE_LOCATION + ")");
    }
    if (sasl.enabled()) {
      ids.add("sasl:" + (sasl.user() == null ? "<the login's principal>" : sasl.user()) + " (" + sasl.source()
          + ")");
    }
    return ids.isEmpty() ? "no identity (no SASL login, and plaintext or TLS without " + KEYSTORE_LOCATION + ")"
        : String.join(" and ", ids);
  }

  /** A new ZooKeeper client config with these settings (ZooKeeper's own keys), for one client. */
  public ZKClientConfig clientConfig() {
    ZKClientConfig zk = new ZKClientConfig();
    sasl.applyTo(zk);
    String socket = values.get(CNXN_SOCKET);
    if (enabled()) {
      X509Util names = new ClientX509Util();
      zk.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
      zk.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, socket.isEmpty() ? NETTY_SOCKET : socket);
      putIfSet(zk, names.getSslKeystoreLocationProperty(), KEYSTORE_LOCATION);
      putIfSet(zk, names.getSslKeystorePasswdProperty(), KEYSTORE_PASSWORD);
      putIfSet(zk, names.getSslKeystoreTypeProperty(), KEYSTORE_TYPE);
      putIfSet(zk, names.getSslTruststoreLocationProperty(), TRUSTSTORE_LOCATION);
      putIfSet(zk, names.getSslTruststorePasswdProperty(), TRUSTSTORE_PASSWORD);
      putIfSet(zk, names.getSslTruststoreTypeProperty(), TRUSTSTORE_TYPE);
      putIfSet(zk, names.getSslProtocolProperty(), PROTOCOL);
      putIfSet(zk, names.getSslEnabledProtocolsProperty(), ENABLED_PROTOCOLS);
      putIfSet(zk, names.getSslCipherSuitesProperty(), CIPHER_SUITES);
      zk.setProperty(names.getSslHostnameVerificationEnabledProperty(),
          Boolean.toString(values.get(ENDPOINT_IDENTIFICATION).equalsIgnoreCase("HTTPS")));
      names.close();
    } else if (!socket.isEmpty()) {
      zk.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, socket);
    }
    return zk;
  }

  private void putIfSet(ZKClientConfig zk, String zkKey, String key) {
    String v = values.get(key);
    if (!v.isEmpty()) {
      zk.setProperty(zkKey, v);
    }
  }

  /** Loads both stores as ZooKeeper will; returns the key store certificate's subject, or null without one. */
  private String loadStores() {
    String socket = values.get(CNXN_SOCKET);
    if (!socket.isEmpty() && !socket.equals(NETTY_SOCKET)) {
      throw new ConfigException(CNXN_SOCKET, CLIENT_ENABLE + "=true needs " + CNXN_SOCKET + "=" + NETTY_SOCKET
          + " (the only ZooKeeper client socket that speaks TLS), not " + socket);
    }
    String algorithm = values.get(ENDPOINT_IDENTIFICATION);
    if (!algorithm.isEmpty() && !algorithm.equalsIgnoreCase("HTTPS")) {
      throw new ConfigException(ENDPOINT_IDENTIFICATION, "Invalid value '" + algorithm + "' for configuration "
          + ENDPOINT_IDENTIFICATION + ": must be HTTPS or empty");
    }
    String trust = values.get(TRUSTSTORE_LOCATION);
    if (!trust.isEmpty()) {
      try {
        X509Util.loadTrustStore(trust, values.get(TRUSTSTORE_PASSWORD), storeType(TRUSTSTORE_TYPE));
      } catch (Exception e) {
        throw new ConfigException(TRUSTSTORE_LOCATION, "Cannot load the ZooKeeper trust store " + trust + " of "
            + TRUSTSTORE_LOCATION + " (check it, " + TRUSTSTORE_TYPE + " and " + TRUSTSTORE_PASSWORD + "): " + e, e);
      }
    }
    String key = values.get(KEYSTORE_LOCATION);
    if (key.isEmpty()) {
      return null;
    }
    try {
      var store = X509Util.loadKeyStore(key, values.get(KEYSTORE_PASSWORD), storeType(KEYSTORE_TYPE));
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias) && store.getCertificate(alias) instanceof X509Certificate cert) {
          return cert.getSubjectX500Principal().getName();
        }
      }
      throw new IllegalArgumentException("no private key and certificate in it");
    } catch (Exception e) {
      throw new ConfigException(KEYSTORE_LOCATION, "Cannot load the ZooKeeper key store " + key + " of "
          + KEYSTORE_LOCATION + " (check it, " + KEYSTORE_TYPE + " and " + KEYSTORE_PASSWORD + "): " + e, e);
    }
  }

  private String storeType(String key) {
    String type = values.get(key).toUpperCase(Locale.ROOT);
    if (!List.of("PKCS12", "JKS", "PEM").contains(type)) {
      throw new ConfigException(key, "Invalid value '" + values.get(key) + "' for configuration " + key
          + ": must be PKCS12, JKS or PEM");
    }
    return type;
  }
}
