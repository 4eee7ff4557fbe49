package io.sluice.http;

import static io.sluice.http.TlsAdmin.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.Broker;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestCertificates.Authority;
import io.sluice.broker.testing.TestCertificates.Issued;
import io.sluice.config.BrokerConfig;
import io.sluice.config.SslConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's rotation rules on the HTTP listener, seen in real handshakes: a certificate whose subject changes or that
 * drops a name is refused, naming the key that would allow it, until {@code ssl.allow.dn.changes} /
 * {@code ssl.allow.san.changes} allow it (dynamically in the same alteration, or statically for the listener); and
 * inline PEM key stores ({@code ssl.keystore.key} + {@code ssl.keystore.certificate.chain}) rotate as files do,
 * stored encrypted and served again after a restart, as does an inline PEM trust store.
 */
class RotationRulesTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String LOCATION = "listener.name.http.ssl.keystore.location";
  private static final String TYPE = "listener.name.http.ssl.keystore.type";
  private static final String KEY = "listener.name.http.ssl.keystore.key";
  private static final String CHAIN = "listener.name.http.ssl.keystore.certificate.chain";
  private static final String TRUSTED = "listener.name.http.ssl.truststore.certificates";
  private static final String ALLOW_DN = "listener.name.http.ssl.allow.dn.changes";
  private static final String ALLOW_SAN = "listener.name.http.ssl.allow.san.changes";

  @TempDir
  Path dir;
  private Authority ca;
  private Issued first;
  private BrokerConfig config;
  private Broker broker;
  private Vertx vertx;

  @BeforeEach
  void certificates() {
    ca = Authority.create("rules-ca");
    first = ca.issue("CN=localhost,O=Sluice");
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aNewSubjectIsRefusedNamingTheRuleAndTakenWhenTheSameAlterationAllowsIt() throws Exception {
    start(fileStore(Map.of()));
    Path renamed = store(ca.issue("CN=renamed,O=Sluice"), "renamed.p12");

    String refusal = admin().refused(new JsonArray().add(set(LOCATION, renamed)), 40);

    assertThat(refusal).contains("DistinguishedName does not match").contains(ALLOW_DN + "=true");
    assertThat(admin().servedSerial()).isEqualTo(first.certificate().getSerialNumber());
    Issued allowed = ca.issue("CN=renamed,O=Sluice");
    admin().alter(new JsonArray().add(set(LOCATION, store(allowed, "allowed.p12"))).add(set(ALLOW_DN, true)));
    assertThat(admin().servedSerial()).isEqualTo(allowed.certificate().getSerialNumber());
    assertThat(admin().described(ALLOW_DN).getString("value")).isEqualTo("true");
    assertThat(admin().described(ALLOW_DN).getString("source")).isEqualTo("DYNAMIC_BROKER_CONFIG");
    assertThat(admin().refused(new JsonArray().add(set(ALLOW_SAN, "perhaps")), 40)).contains(ALLOW_SAN);
  }

  @Test
  void aDroppedNameIsTakenWhenTheListenersStaticRuleAllowsItAndTheOtherRuleStillHolds() throws Exception {
    Map<String, Object> extra = new HashMap<>();
    extra.put(ALLOW_SAN, true);
    start(fileStore(extra));
    Issued elsewhere = ca.issue("CN=localhost,O=Sluice", "elsewhere.example");

    admin().alter(new JsonArray().add(set(LOCATION, store(elsewhere, "elsewhere.p12"))));

    // The new certificate names 127.0.0.1 and elsewhere.example, no longer localhost.
    TlsAdmin byAddress = new TlsAdmin(vertx, ca.certificatePem(), broker.httpPort(), "127.0.0.1", null);
    assertThat(byAddress.servedSerial()).isEqualTo(elsewhere.certificate().getSerialNumber());
    assertThat(byAddress.described(ALLOW_SAN).getString("source")).isEqualTo("STATIC_BROKER_CONFIG");
    assertThat(byAddress.described(ALLOW_DN).getString("source")).isEqualTo("DEFAULT_CONFIG");
    Path renamed = store(ca.issue("CN=renamed,O=Sluice", "elsewhere.example"), "renamed.p12");
    assertThat(byAddress.refused(new JsonArray().add(set(LOCATION, renamed)), 40)).contains(ALLOW_DN);
  }

  @Test
  void anInlinePemKeyStoreRotatesIsStoredEncryptedAndIsServedAfterARestart() throws Exception {
    start(Map.of(SslConfig.KEYSTORE_TYPE, "PEM", SslConfig.KEYSTORE_KEY, first.keyPem(),
        SslConfig.KEYSTORE_CERTIFICATE_CHAIN, first.chainPem()));
    Issued second = ca.issue("CN=localhost,O=Sluice");

    admin().alter(new JsonArray().add(set(KEY, second.keyPem())).add(set(CHAIN, second.chainPem())));

    assertThat(admin().servedSerial()).isEqualTo(second.certificate().getSerialNumber());
    String stored = storedConfigs();
    assertThat(stored).contains(KEY, CHAIN, "aes-gcm:").doesNotContain("PRIVATE KEY", "CERTIFICATE");
    JsonObject key = admin().described(KEY);
    assertThat(key.getValue("value")).isNull();
    assertThat(key.getBoolean("is_sensitive")).isTrue();

    TestBrokers.close(broker);
    broker = null;
    broker = TestBrokers.start(config, GUARD, HttpListener::new);
    assertThat(admin().servedSerial()).isEqualTo(second.certificate().getSerialNumber());
  }

  @Test
  void anInlinePemRotationKeepsTheRulesAndAFileStoreMovesToInlinePemOnlyByClearingItsLocation() throws Exception {
    start(fileStore(Map.of()));
    Issued renamed = ca.issue("CN=renamed,O=Sluice");
    JsonArray inlineRenamed = new JsonArray().add(set(TYPE, "PEM")).add(set(KEY, renamed.keyPem()))
        .add(set(CHAIN, renamed.chainPem())).add(set(LOCATION, ""));
    assertThat(admin().refused(inlineRenamed, 40)).contains(ALLOW_DN);

    Issued second = ca.issue("CN=localhost,O=Sluice");
    JsonArray both = new JsonArray().add(set(TYPE, "PEM")).add(set(KEY, second.keyPem()))
        .add(set(CHAIN, second.chainPem()));
    assertThat(admin().refused(both, 40)).contains("Both ssl.keystore.location and ssl.keystore.");
    assertThat(admin().servedSerial()).isEqualTo(first.certificate().getSerialNumber());

    admin().alter(both.copy().add(set(LOCATION, "")));
    assertThat(admin().servedSerial()).isEqualTo(second.certificate().getSerialNumber());
  }

  @Test
  void anInlinePemTrustStoreRotatesForTheClientCertificatesItVouchesFor() throws Exception {
    Map<String, Object> tls = fileStore(Map.of());
    tls.put(SslConfig.CLIENT_AUTH, "required");
    tls.put(SslConfig.TRUSTSTORE_TYPE, "PEM");
    tls.put(SslConfig.TRUSTSTORE_CERTIFICATES, ca.certificatePem());
    start(tls);
    Authority other = Authority.create("other-ca");
    TlsAdmin admin = withCertificate(ca.issue("CN=admin,O=Sluice"));
    TlsAdmin stranger = withCertificate(other.issue("CN=writer,O=Sluice"));
    assertThatThrownBy(() -> stranger.request(HttpMethod.GET, "/health", null)).as("a CA not trusted yet")
        .isNotNull();

    admin.alter(new JsonArray().add(set(TRUSTED, ca.certificatePem() + other.certificatePem())));

    assertThat(stranger.request(HttpMethod.GET, "/health", null).statusCode()).isEqualTo(200);
    assertThat(admin.described(TRUSTED).getValue("value")).isNull();
    assertThat(storedConfigs()).contains(TRUSTED).doesNotContain("CERTIFICATE");
  }

  private TlsAdmin withCertificate(Issued cert) {
    return new TlsAdmin(vertx, ca.certificatePem(), broker.httpPort(), "localhost", new PemKeyCertOptions()
        .setKeyValue(Buffer.buffer(cert.keyPem())).setCertValue(Buffer.buffer(cert.chainPem())));
  }

  private Map<String, Object> fileStore(Map<String, Object> extra) {
    Map<String, Object> tls = new HashMap<>(extra);
    tls.put(SslConfig.KEYSTORE_LOCATION, store(first, "broker.p12").toString());
    tls.put(SslConfig.KEYSTORE_PASSWORD, "pw");
    return tls;
  }

  private Path store(Issued cert, String file) {
    return cert.keyStore(dir.resolve(file), "PKCS12", "pw", "pw");
  }

  private void start(Map<String, Object> tls) throws Exception {
    Map<String, Object> all = new HashMap<>(tls);
    all.put(SslConfig.HTTP_SSL_ENABLE, true);
    all.put(SslConfig.PASSWORD_ENCODER_SECRET, "rules-encoder-secret");
    all.put(BrokerConfig.CONNECT_ENABLED, false);
    all.put(BrokerConfig.STREAMS_ENABLED, false);
    config = TestBrokers.config(dir.resolve("data"), all);
    broker = TestBrokers.start(config, GUARD, HttpListener::new);
  }

  /** The broker's dynamic configs as ZooKeeper holds them. */
  private String storedConfigs() throws Exception {
    var cm = (ZookeeperClusterManager) ((VertxInternal) broker.vertx()).clusterManager();
    byte[] data = cm.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE).getData().forPath("/config/brokers/1");
    return new String(data, StandardCharsets.UTF_8);
  }

  private TlsAdmin admin() {
    return new TlsAdmin(vertx, ca.certificatePem(), broker.httpPort());
  }
}
