package io.sluice.broker;

import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.SslConfig;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.SSLContextAndOptions;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.common.X509Util;
import org.apache.zookeeper.common.ZKConfig;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.ServerCnxn;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;

/**
 * TLS on the embedded ZooKeeper's client port ({@code zookeeper.embedded.ssl.enable}): ZooKeeper's Netty server
 * factory serving only TLS, with the broker's own {@code ssl.keystore.*} certificate, requiring a client certificate
 * that {@code ssl.truststore.*} vouches for, and authenticating each client as {@code x509:<its certificate's
 * subject>} (the id {@code zookeeper.set.acl} grants the znodes to).
 *
 * <p>ZooKeeper takes its server TLS settings from system properties, which would make every embedded server of a
 * JVM (tests run several brokers in one) share one certificate and let one broker's settings leak into another's.
 * Instead each factory gets its own {@link X509Util} holding this server's settings (a private field, set by
 * reflection: {@code EmbeddedZooKeeperTlsTest} fails if a ZooKeeper upgrade breaks that). The x509 authentication
 * provider is JVM-wide in ZooKeeper ({@link ProviderRegistry}): {@link HandshakeVerified} trusts the handshake, which
 * already checked the chain against this server's trust store, instead of a trust store of its own.
 */
public final class EmbeddedZooKeeperTls {
  private static final String X509_PROVIDER_KEY = ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + "x509";
  private final ZKConfig settings;

  private EmbeddedZooKeeperTls(ZKConfig settings) {
    this.settings = settings;
  }

  /** The embedded server's TLS from a broker's config; null when {@code zookeeper.embedded.ssl.enable} is off. */
  public static EmbeddedZooKeeperTls of(BrokerConfig config) {
    if (!config.getBoolean(BrokerConfig.ZOOKEEPER_EMBEDDED_SSL_ENABLE)) {
      return null;
    }
    for (String inline : new String[] {SslConfig.KEYSTORE_KEY, SslConfig.TRUSTSTORE_CERTIFICATES,
        SslConfig.KEY_PASSWORD}) {
      if (!config.getString(inline).isEmpty()) {
        throw new ConfigException(inline, BrokerConfig.ZOOKEEPER_EMBEDDED_SSL_ENABLE + " reads the stores from"
            + " files with one password each: unset " + inline + " and use " + SslConfig.KEYSTORE_LOCATION + " / "
            + SslConfig.TRUSTSTORE_LOCATION);
      }
    }
    require(config, SslConfig.KEYSTORE_LOCATION);
    require(config, SslConfig.TRUSTSTORE_LOCATION);
    X509Util names = new ClientX509Util();
    ZKConfig zk = new ZKConfig();
    zk.setProperty(names.getSslKeystoreLocationProperty(), config.getString(SslConfig.KEYSTORE_LOCATION));
    zk.setProperty(names.getSslKeystorePasswdProperty(), config.getString(SslConfig.KEYSTORE_PASSWORD));
    zk.setProperty(names.getSslKeystoreTypeProperty(), config.getString(SslConfig.KEYSTORE_TYPE));
    zk.setProperty(names.getSslTruststoreLocationProperty(), config.getString(SslConfig.TRUSTSTORE_LOCATION));
    zk.setProperty(names.getSslTruststorePasswdProperty(), config.getString(SslConfig.TRUSTSTORE_PASSWORD));
    zk.setProperty(names.getSslTruststoreTypeProperty(), config.getString(SslConfig.TRUSTSTORE_TYPE));
    zk.setProperty(names.getSslEnabledProtocolsProperty(), config.getString(SslConfig.ENABLED_PROTOCOLS));
    zk.setProperty(names.getSslClientAuthProperty(), "need");
    // Clients are brokers and tools, known by their certificate and not by a host name.
    zk.setProperty(names.getSslHostnameVerificationEnabledProperty(), "false");
    names.close();
    EmbeddedZooKeeperTls tls = new EmbeddedZooKeeperTls(zk);
    tls.serverUtil().close(); // loads both stores now: a bad one is refused at configuration, naming its key
    return tls;
  }

  private static void require(BrokerConfig config, String key) {
    if (config.getString(key).isEmpty()) {
      throw new ConfigException(key, BrokerConfig.ZOOKEEPER_EMBEDDED_SSL_ENABLE + "=true needs " + key);
    }
  }

  /** A Netty server factory (not yet configured) serving TLS only, with these settings. */
  ServerCnxnFactory newFactory() throws ReflectiveOperationException {
    registerX509Provider();
    Class<?> netty = Class.forName("org.apache.zookeeper.server.NettyServerCnxnFactory");
    Constructor<?> create = netty.getDeclaredConstructor();
    create.setAccessible(true);
    ServerCnxnFactory factory = (ServerCnxnFactory) create.newInstance();
    Field util = netty.getDeclaredField("x509Util");
    util.setAccessible(true);
    ((X509Util) util.get(factory)).close();
    util.set(factory, serverUtil());
    return factory;
  }

  /** ZooKeeper's TLS helper, answering this server's settings where it would read the system properties. */
  private ClientX509Util serverUtil() {
    ClientX509Util util = new ClientX509Util() {
      private final AtomicReference<SSLContextAndOptions> context = new AtomicReference<>();

      @Override
      public SSLContextAndOptions getDefaultSSLContextAndOptions() throws X509Exception.SSLContextException {
        SSLContextAndOptions c = context.get();
        if (c == null) {
          c = createSSLContextAndOptions(settings);
          context.compareAndSet(null, c);
        }
        return c;
      }
    };
    try {
      util.getDefaultSSLContextAndOptions();
    } catch (X509Exception.SSLContextException e) {
      util.close();
      throw new ConfigException(SslConfig.KEYSTORE_LOCATION, "The embedded ZooKeeper ("
          + BrokerConfig.ZOOKEEPER_EMBEDDED_SSL_ENABLE + ") cannot load " + SslConfig.KEYSTORE_LOCATION + " or "
          + SslConfig.TRUSTSTORE_LOCATION + " (check them, their types and passwords): " + e.getMessage(), e);
    }
    return util;
  }

  private static synchronized void registerX509Provider() {
    String current = System.getProperty(X509_PROVIDER_KEY);
    if (current != null && !current.equals(HandshakeVerified.class.getName())) {
      return; // the user's own x509 provider (zookeeper.authProvider.x509): theirs to configure
    }
    if (current == null) {
      System.setProperty(X509_PROVIDER_KEY, HandshakeVerified.class.getName());
      ProviderRegistry.addOrUpdateProvider(X509_PROVIDER_KEY);
    }
  }

  /**
   * ZooKeeper's x509 scheme for servers whose TLS handshake required a client certificate: the handshake checked the
   * chain against the server's trust store, so the client is its certificate's subject.
   */
  public static final class HandshakeVerified extends X509AuthenticationProvider {
    public HandshakeVerified() {
      super(null, null);
    }

    @Override
    public KeeperException.Code handleAuthentication(ServerCnxn cnxn, byte[] authData) {
      Certificate[] chain = cnxn.getClientCertificateChain();
      if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
        return KeeperException.Code.AUTHFAILED;
      }
      cnxn.addAuthInfo(new Id(getScheme(), getClientId(cert)));
      return KeeperException.Code.OK;
    }
  }
}
