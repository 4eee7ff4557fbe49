package io.sluice.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.TestCertificates.Authority;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ZooKeeperClientTls;
import io.sluice.tls.ZooKeeperStoresWatch.Report;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replaced ZooKeeper client store file is reported when it is noticed, not at the next reconnection: the identity
 * new connections will show, a subject that no longer owns the {@code zookeeper.set.acl} znodes, or a file that does
 * not load; an unchanged file reports nothing.
 */
class ZooKeeperStoresWatchTest {
  private static final String DN = "CN=broker,O=Sluice";

  @TempDir
  Path dir;

  @Test
  void theWatchRunsAtItsKeysIntervalAndZeroTurnsItOff() throws Exception {
    Authority ca = Authority.create("watch-ca");
    Map<String, Object> tls = Map.of(BrokerConfig.LOG_DIRS, dir.resolve("data").toString(),
        ZooKeeperClientTls.CLIENT_ENABLE, true,
        ZooKeeperClientTls.KEYSTORE_LOCATION, ca.issue(DN).keyStore(dir.resolve("zk.p12"), "PKCS12", "pw", "pw")
            .toString(), ZooKeeperClientTls.KEYSTORE_PASSWORD, "pw");
    BrokerConfig byDefault = BrokerConfig.of(tls);
    assertThat(ZooKeeperStoresWatch.wanted(byDefault)).isTrue();
    assertThat(ZooKeeperStoresWatch.intervalMs(byDefault)).isEqualTo(30_000);

    BrokerConfig often = BrokerConfig.of(with(tls, ZooKeeperClientTls.STORES_CHECK_INTERVAL_MS, 5_000L));
    assertThat(ZooKeeperStoresWatch.intervalMs(often)).isEqualTo(5_000);
    BrokerConfig off = BrokerConfig.of(with(tls, ZooKeeperClientTls.STORES_CHECK_INTERVAL_MS, 0L));
    assertThat(ZooKeeperStoresWatch.wanted(off)).as("0: never").isFalse();
  }

  private static Map<String, Object> with(Map<String, Object> config, String key, Object value) {
    Map<String, Object> out = new java.util.HashMap<>(config);
    out.put(key, value);
    return out;
  }

  @Test
  void aReplacedKeyStoreIsReportedWithWhatItMeans() throws Exception {
    Authority ca = Authority.create("watch-ca");
    Path keyStore = ca.issue(DN).keyStore(dir.resolve("zk.p12"), "PKCS12", "pw", "pw");
    ZooKeeperStoresWatch watch = new ZooKeeperStoresWatch(BrokerConfig.of(Map.of(
        BrokerConfig.LOG_DIRS, dir.resolve("data").toString(),
        ZooKeeperClientTls.CLIENT_ENABLE, true, ZooKeeperClientTls.SET_ACL, true,
        ZooKeeperClientTls.KEYSTORE_LOCATION, keyStore.toString(), ZooKeeperClientTls.KEYSTORE_PASSWORD, "pw",
        ZooKeeperClientTls.TRUSTSTORE_LOCATION, ca.trustStore(dir.resolve("ca.p12"), "PKCS12", "pw").toString(),
        ZooKeeperClientTls.TRUSTSTORE_PASSWORD, "pw")));
    assertThat(watch.check()).isNull();

    ca.issue(DN).keyStore(keyStore, "PKCS12", "pw", "pw");
    Report renewed = watch.check();
    assertThat(renewed.level()).isEqualTo(Level.INFO);
    assertThat(renewed.message()).contains("next connection to ZooKeeper will authenticate as x509:" + DN);
    assertThat(watch.check()).isNull();

    ca.issue("CN=renamed,O=Sluice").keyStore(keyStore, "PKCS12", "pw", "pw");
    Report renamed = watch.check();
    assertThat(renamed.level()).isEqualTo(Level.WARNING);
    assertThat(renamed.message()).contains("x509:CN=renamed,O=Sluice", ZooKeeperClientTls.SET_ACL, "x509:" + DN);

    Files.writeString(keyStore, "not a key store");
    Report broken = watch.check();
    assertThat(broken.level()).isEqualTo(Level.ERROR);
    assertThat(broken.message()).contains(ZooKeeperClientTls.KEYSTORE_LOCATION, "next reconnection will fail");
  }
}
