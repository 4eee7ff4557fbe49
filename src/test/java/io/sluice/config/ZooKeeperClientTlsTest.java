package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.SecureZooKeeper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KIP-515's {@code zookeeper.ssl.*} keys become ZooKeeper's own client settings, and mistakes are refused by key. */
class ZooKeeperClientTlsTest {
  @TempDir
  static Path dir;
  static SecureZooKeeper certs;

  @BeforeAll
  static void certificates() {
    certs = new SecureZooKeeper(dir);
  }

  @Test
  void kafkasKeysBecomeZooKeepersClientSettings() {
    Map<String, String> keys = certs.clientKeys(certs.brokerKeyStore, certs.trustStore, true);
    keys.put(ZooKeeperClientTls.ENDPOINT_IDENTIFICATION, "");
    keys.put(ZooKeeperClientTls.ENABLED_PROTOCOLS, "TLSv1.3,TLSv1.2");
    ZooKeeperClientTls tls = ZooKeeperClientTls.of(keys);
    ZKClientConfig zk = tls.clientConfig();
    assertThat(zk.getBoolean(ZKClientConfig.SECURE_CLIENT)).isTrue();
    assertThat(zk.getProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET)).isEqualTo(ZooKeeperClientTls.NETTY_SOCKET);
    assertThat(zk.getProperty("zookeeper.ssl.keyStore.location")).isEqualTo(certs.brokerKeyStore.toString());
    assertThat(zk.getProperty("zookeeper.ssl.trustStore.password")).isEqualTo(SecureZooKeeper.PASSWORD);
    assertThat(zk.getProperty("zookeeper.ssl.enabledProtocols")).isEqualTo("TLSv1.3,TLSv1.2");
    assertThat(zk.getProperty("zookeeper.ssl.hostnameVerification")).isEqualTo("false");
    assertThat(tls.identity()).isEqualTo(SecureZooKeeper.BROKER_DN);
    assertThat(tls.setAcl()).isTrue();
  }

  @Test
  void withoutTlsTheClientIsPlaintext() {
    ZKClientConfig zk = ZooKeeperClientTls.of(BrokerConfig.defaults()).clientConfig();
    assertThat(zk.getBoolean(ZKClientConfig.SECURE_CLIENT)).isFalse();
  }

  @Test
  void setAclWithoutAnIdentityIsRefused() {
    assertThatThrownBy(() -> BrokerConfig.of(Map.of(ZooKeeperClientTls.SET_ACL, true)))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo(ZooKeeperClientTls.SET_ACL));
  }

  @Test
  void aWrongKeyStorePasswordIsRefusedNamingTheKeyStore() {
    Map<String, String> keys = certs.clientKeys(certs.brokerKeyStore, certs.trustStore, false);
    keys.put(ZooKeeperClientTls.KEYSTORE_PASSWORD, "wrong");
    assertThatThrownBy(() -> BrokerConfig.of(keys)).isInstanceOfSatisfying(ConfigException.class,
        e -> assertThat(e.key()).isEqualTo(ZooKeeperClientTls.KEYSTORE_LOCATION));
  }

  @Test
  void aMissingTrustStoreIsRefusedNamingIt() {
    Map<String, String> keys = certs.clientKeys(certs.brokerKeyStore, dir.resolve("missing.p12"), false);
    assertThatThrownBy(() -> ZooKeeperClientTls.of(keys)).isInstanceOfSatisfying(ConfigException.class,
        e -> assertThat(e.key()).isEqualTo(ZooKeeperClientTls.TRUSTSTORE_LOCATION));
  }

  @Test
  void anUnknownKeyOfATlsConfigFileIsRefused() {
    Map<String, String> keys = new HashMap<>();
    keys.put("zookeeper.ssl.trustStore.location", "/x"); // ZooKeeper's own spelling, not Kafka's
    assertThatThrownBy(() -> ZooKeeperClientTls.of(keys)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("zookeeper.ssl.trustStore.location");
  }

  @Test
  void aNonNettySocketWithTlsIsRefused() {
    Map<String, String> keys = certs.clientKeys(certs.brokerKeyStore, certs.trustStore, false);
    keys.put(ZooKeeperClientTls.CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNIO");
    assertThatThrownBy(() -> ZooKeeperClientTls.of(keys)).isInstanceOfSatisfying(ConfigException.class,
        e -> assertThat(e.key()).isEqualTo(ZooKeeperClientTls.CNXN_SOCKET));
  }
}
