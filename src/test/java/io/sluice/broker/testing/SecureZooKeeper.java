package io.sluice.broker.testing;

import io.sluice.broker.EmbeddedZooKeeper;
import io.sluice.broker.EmbeddedZooKeeperTls;
import io.sluice.broker.ZooKeeperClients;
import io.sluice.config.BrokerConfig;
import io.sluice.config.SslConfig;
import io.sluice.config.ZooKeeperClientTls;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

/**
 * Certificates for a TLS embedded ZooKeeper and its clients, made in {@code dir}: one CA, the brokers' certificate
 * ({@value #BROKER_DN}) and a tool's ({@value #TOOL_DN}) from it, and a second CA nobody here trusts.
 */
public final class SecureZooKeeper {
  public static final String BROKER_DN = "CN=broker,O=Sluice";
  public static final String TOOL_DN = "CN=tool,O=Sluice";
  public static final String PASSWORD = "secret";
  public final Path trustStore;
  public final Path brokerKeyStore;
  public final Path toolKeyStore;
  /** A trust store of another CA: ZooKeeper's certificate does not pass it. */
  public final Path strangerTrustStore;

  public SecureZooKeeper(Path dir) {
    TestCertificates.Authority ca = TestCertificates.Authority.create("zk-ca");
    trustStore = ca.trustStore(dir.resolve("zk-trust.p12"), "PKCS12", PASSWORD);
    brokerKeyStore = ca.issue(BROKER_DN).keyStore(dir.resolve("zk-broker.p12"), "PKCS12", PASSWORD, PASSWORD);
    toolKeyStore = ca.issue(TOOL_DN).keyStore(dir.resolve("zk-tool.p12"), "PKCS12", PASSWORD, PASSWORD);
    strangerTrustStore = TestCertificates.Authority.create("stranger-ca").trustStore(dir.resolve("stranger.p12"),
        "PKCS12", PASSWORD);
  }

  /** The broker config keys of a TLS embedded ZooKeeper with the brokers' certificate. */
  public Map<String, Object> serverConfig() {
    return Map.of(BrokerConfig.ZOOKEEPER_EMBEDDED_SSL_ENABLE, true,
        SslConfig.KEYSTORE_LOCATION, brokerKeyStore.toString(), SslConfig.KEYSTORE_PASSWORD, PASSWORD,
        SslConfig.TRUSTSTORE_LOCATION, trustStore.toString(), SslConfig.TRUSTSTORE_PASSWORD, PASSWORD);
  }

  /** A TLS embedded ZooKeeper on a free port with its files in {@code dir}, serving. */
  public EmbeddedZooKeeper start(Path dir) {
    return EmbeddedZooKeeper.bind(dir, 0, EmbeddedZooKeeperTls.of(BrokerConfig.of(serverConfig()))).serve();
  }

  /** The {@code zookeeper.ssl.*} keys of a client showing {@code keyStore} and trusting {@code trust}. */
  public Map<String, String> clientKeys(Path keyStore, Path trust, boolean setAcl) {
    Map<String, String> m = new HashMap<>();
    m.put(ZooKeeperClientTls.CLIENT_ENABLE, "true");
    m.put(ZooKeeperClientTls.KEYSTORE_LOCATION, keyStore.toString());
    m.put(ZooKeeperClientTls.KEYSTORE_PASSWORD, PASSWORD);
    m.put(ZooKeeperClientTls.TRUSTSTORE_LOCATION, trust.toString());
    m.put(ZooKeeperClientTls.TRUSTSTORE_PASSWORD, PASSWORD);
    m.put(ZooKeeperClientTls.SET_ACL, Boolean.toString(setAcl));
    return m;
  }

  /** A started client of {@code connect} with {@code tls}, connected (or the test fails). */
  public static CuratorFramework connect(String connect, ZooKeeperClientTls tls) throws InterruptedException {
    return connect(connect, tls, b -> b);
  }

  /** {@link #connect(String, ZooKeeperClientTls)} with more settings ({@code authorization}...). */
  public static CuratorFramework connect(String connect, ZooKeeperClientTls tls,
      UnaryOperator<CuratorFrameworkFactory.Builder> more) throws InterruptedException {
    CuratorFramework c = more.apply(ZooKeeperClients.builder(connect, tls)).retryPolicy(new RetryOneTime(100)).build();
    c.start();
    if (!c.blockUntilConnected(60, TimeUnit.SECONDS)) {
      c.close();
      throw new AssertionError("No connection to ZooKeeper at " + connect + " in 60 s");
    }
    return c;
  }

  public ZooKeeperClientTls brokerClient(boolean setAcl) {
    return ZooKeeperClientTls.of(clientKeys(brokerKeyStore, trustStore, setAcl));
  }

  public ZooKeeperClientTls toolClient() {
    return ZooKeeperClientTls.of(clientKeys(toolKeyStore, trustStore, false));
  }
}
