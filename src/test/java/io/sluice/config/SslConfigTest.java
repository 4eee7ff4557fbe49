package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.broker.testing.TestCertificates;
import io.sluice.broker.testing.TestCertificates.Authority;
import io.sluice.broker.testing.TestCertificates.Issued;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.NetServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker's {@code ssl.*} keys: each store kind loads, and each mistake is refused at start naming its key. */
class SslConfigTest {
  @TempDir
  static Path dir;
  static Authority ca;
  static Issued broker;

  @BeforeAll
  static void certificates() {
    ca = Authority.create("test-ca");
    broker = ca.issue("CN=broker-1,O=Sluice");
  }

  private static BrokerConfig config(Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    m.put(BrokerConfig.LOG_DIRS, dir.resolve("data").toString());
    return BrokerConfig.of(m);
  }

  private static ConfigException refused(Map<String, Object> extra) {
    return catchThrowableOfType(() -> config(extra), ConfigException.class);
  }

  @Test
  void offByDefaultAndNothingIsRead() {
    SslConfig ssl = config(Map.of(SslConfig.KEYSTORE_LOCATION, "/nonexistent")).ssl();
    assertThat(ssl.http()).isFalse();
    assertThat(ssl.interBroker()).isFalse();
    assertThat(ssl.keyCertOptions()).isNull();
  }

  @Test
  void pkcs12AndJksStoresLoadWithTheirPasswords() {
    for (String type : new String[] {"PKCS12", "JKS"}) {
      Path ks = broker.keyStore(dir.resolve("ks." + type), type, "store-pw", "store-pw");
      Path ts = ca.trustStore(dir.resolve("ts." + type), type, "trust-pw");
      SslConfig ssl = config(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_TYPE, type,
          SslConfig.KEYSTORE_LOCATION, ks.toString(), SslConfig.KEYSTORE_PASSWORD, "store-pw",
          SslConfig.TRUSTSTORE_TYPE, type, SslConfig.TRUSTSTORE_LOCATION, ts.toString(),
          SslConfig.TRUSTSTORE_PASSWORD, "trust-pw", SslConfig.CLIENT_AUTH, "required")).ssl();
      NetServerOptions options = ssl.apply(new NetServerOptions());
      assertThat(options.isSsl()).isTrue();
      assertThat(options.getKeyCertOptions()).isNotNull();
      assertThat(options.getTrustOptions()).isNotNull();
      assertThat(ssl.clientAuth()).isEqualTo(ClientAuth.REQUIRED);
    }
  }

  @Test
  void aKeyWithItsOwnPasswordNeedsSslKeyPassword() {
    Path ks = broker.keyStore(dir.resolve("ks-keypw.p12"), "JKS", "store-pw", "key-pw");
    Map<String, Object> base = Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_TYPE, "JKS",
        SslConfig.KEYSTORE_LOCATION, ks.toString(), SslConfig.KEYSTORE_PASSWORD, "store-pw");
    assertThat(refused(base).key()).isEqualTo(SslConfig.KEYSTORE_LOCATION);
    Map<String, Object> withKeyPassword = new HashMap<>(base);
    withKeyPassword.put(SslConfig.KEY_PASSWORD, "key-pw");
    assertThat(config(withKeyPassword).ssl().keyCertOptions()).isNotNull();
  }

  @Test
  void pemStoresLoadFromFilesAndFromValues() throws Exception {
    Path ks = broker.keyStore(dir.resolve("broker.pem"), "PEM", "", "");
    Path ts = ca.trustStore(dir.resolve("ca.pem"), "PEM", "");
    assertThat(config(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_LOCATION, ks.toString(), SslConfig.TRUSTSTORE_TYPE, "PEM",
        SslConfig.TRUSTSTORE_LOCATION, ts.toString())).ssl().trustOptions()).isNotNull();
    assertThat(config(Map.of(SslConfig.INTER_BROKER_PROTOCOL, "SSL", SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_KEY, broker.keyPem(), SslConfig.KEYSTORE_CERTIFICATE_CHAIN, broker.chainPem(),
        SslConfig.TRUSTSTORE_TYPE, "PEM", SslConfig.TRUSTSTORE_CERTIFICATES, Files.readString(ts))).ssl()
        .interBroker()).isTrue();
  }

  @Test
  void aMissingStoreIsRefusedNamingItsKey() {
    ConfigException e = refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_LOCATION,
        dir.resolve("missing.p12").toString()));
    assertThat(e.key()).isEqualTo(SslConfig.KEYSTORE_LOCATION);
    assertThat(e.getMessage()).contains(SslConfig.KEYSTORE_LOCATION).contains("missing.p12");
    assertThat(refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true)).key()).isEqualTo(SslConfig.KEYSTORE_LOCATION);
  }

  @Test
  void aWrongPasswordIsRefusedNamingTheStore() {
    Path ks = broker.keyStore(dir.resolve("ks-pw.p12"), "PKCS12", "right", "right");
    ConfigException e = refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_LOCATION, ks.toString(),
        SslConfig.KEYSTORE_PASSWORD, "wrong"));
    assertThat(e.key()).isEqualTo(SslConfig.KEYSTORE_LOCATION);
    assertThat(e.getMessage()).contains(SslConfig.KEYSTORE_PASSWORD);

    Path ts = ca.trustStore(dir.resolve("ts-pw.p12"), "PKCS12", "right");
    e = refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_LOCATION, ks.toString(),
        SslConfig.KEYSTORE_PASSWORD, "right", SslConfig.TRUSTSTORE_LOCATION, ts.toString(),
        SslConfig.TRUSTSTORE_PASSWORD, "wrong"));
    assertThat(e.key()).isEqualTo(SslConfig.TRUSTSTORE_LOCATION);
  }

  @Test
  void aStoreOfTheWrongTypeIsRefused() {
    Path pem = broker.keyStore(dir.resolve("not-pkcs12.pem"), "PEM", "", "");
    assertThat(refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_LOCATION, pem.toString()))
        .key()).isEqualTo(SslConfig.KEYSTORE_LOCATION);
    assertThat(refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_KEY, "", SslConfig.KEYSTORE_CERTIFICATE_CHAIN, broker.chainPem())).key())
        .isEqualTo(SslConfig.KEYSTORE_KEY);
    assertThat(refused(Map.of(SslConfig.KEYSTORE_TYPE, "PEMX")).key()).isEqualTo(SslConfig.KEYSTORE_TYPE);
  }

  @Test
  void clientCertificatesAndInterBrokerTlsNeedATrustStore() {
    Path ks = broker.keyStore(dir.resolve("ks-only.p12"), "PKCS12", "pw", "pw");
    assertThat(refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_LOCATION, ks.toString(),
        SslConfig.KEYSTORE_PASSWORD, "pw", SslConfig.CLIENT_AUTH, "required")).key())
        .isEqualTo(SslConfig.CLIENT_AUTH);
    assertThat(refused(Map.of(SslConfig.INTER_BROKER_PROTOCOL, "SSL", SslConfig.KEYSTORE_LOCATION, ks.toString(),
        SslConfig.KEYSTORE_PASSWORD, "pw")).key()).isEqualTo(SslConfig.TRUSTSTORE_LOCATION);
    assertThat(refused(Map.of(SslConfig.CLIENT_AUTH, "maybe")).key()).isEqualTo(SslConfig.CLIENT_AUTH);
    assertThat(refused(Map.of(SslConfig.INTER_BROKER_PROTOCOL, "SASL_SSL")).key())
        .isEqualTo(SslConfig.INTER_BROKER_PROTOCOL);
  }

  @Test
  void aRotationKeepsTheSubjectAndEveryNameAndBetweenBrokersIsTrusted() {
    SslConfig old = interBroker(broker, "old");
    // Same subject and names, signed by the same CA: accepted.
    interBroker(ca.issue("CN=broker-1,O=Sluice"), "same").requireCompatible(old, SslConfig.BROKER_LISTENER);
    ConfigException otherName = catchThrowableOfType(() -> interBroker(ca.issue("CN=broker-1,O=Sluice",
        "elsewhere.example"), "renamed").requireCompatible(old, SslConfig.BROKER_LISTENER), ConfigException.class);
    assertThat(otherName.getMessage()).contains("SubjectAltNames do not match").contains("localhost");
    ConfigException otherSubject = catchThrowableOfType(() -> interBroker(ca.issue("CN=broker-2,O=Sluice"),
        "other").requireCompatible(old, SslConfig.BROKER_LISTENER), ConfigException.class);
    assertThat(otherSubject.getMessage()).contains("DistinguishedName does not match");
    Issued rogue = Authority.create("rogue-ca").issue("CN=broker-1,O=Sluice");
    ConfigException untrusted = catchThrowableOfType(() -> interBroker(rogue, "rogue").requireCompatible(old, SslConfig.BROKER_LISTENER),
        ConfigException.class);
    assertThat(untrusted.getMessage()).contains("does not vouch");
    // The HTTP listener's trust store checks clients, not the broker's own certificate.
    interBroker(rogue, "rogue-http").requireCompatible(old, SslConfig.HTTP_LISTENER);
  }

  @Test
  void theRulesAllowASubjectOrNameChangePerListenerAndTheRefusalNamesTheKeyToSet() {
    SslConfig old = interBroker(broker, "rules-old");
    Issued renamed = ca.issue("CN=broker-9,O=Sluice");
    Issued otherHost = ca.issue("CN=broker-1,O=Sluice", "elsewhere.example");

    ConfigException dn = catchThrowableOfType(() -> interBroker(renamed, "r1", Map.of())
        .requireCompatible(old, SslConfig.HTTP_LISTENER), ConfigException.class);
    assertThat(dn.key()).isEqualTo("listener.name.http.ssl.allow.dn.changes");
    assertThat(dn.getMessage()).contains("set listener.name.http.ssl.allow.dn.changes=true");
    ConfigException san = catchThrowableOfType(() -> interBroker(otherHost, "s1", Map.of())
        .requireCompatible(old, SslConfig.BROKER_LISTENER), ConfigException.class);
    assertThat(san.key()).isEqualTo("listener.name.broker.ssl.allow.san.changes");

    // The unprefixed key allows it on every listener; each rule allows only its own change.
    interBroker(renamed, "r2", Map.of(SslConfig.ALLOW_DN_CHANGES, true)).requireCompatible(old, SslConfig.BROKER_LISTENER);
    assertThat(catchThrowableOfType(() -> interBroker(otherHost, "s2", Map.of(SslConfig.ALLOW_DN_CHANGES, true))
        .requireCompatible(old, SslConfig.BROKER_LISTENER), ConfigException.class)).isNotNull();
    interBroker(otherHost, "s3", Map.of(SslConfig.ALLOW_SAN_CHANGES, "true"))
        .requireCompatible(old, SslConfig.HTTP_LISTENER);

    // A listener's own key allows it there only, and wins over the unprefixed one.
    SslConfig brokerOnly = interBroker(renamed, "r3", Map.of("listener.name.broker.ssl.allow.dn.changes", true));
    brokerOnly.requireCompatible(old, SslConfig.BROKER_LISTENER);
    assertThat(catchThrowableOfType(() -> brokerOnly.requireCompatible(old, SslConfig.HTTP_LISTENER),
        ConfigException.class)).isNotNull();
    SslConfig notHttp = interBroker(renamed, "r4", Map.of(SslConfig.ALLOW_DN_CHANGES, true,
        "listener.name.http.ssl.allow.dn.changes", false));
    assertThat(catchThrowableOfType(() -> notHttp.requireCompatible(old, SslConfig.HTTP_LISTENER),
        ConfigException.class)).isNotNull();
    notHttp.requireCompatible(old, SslConfig.BROKER_LISTENER);

    assertThat(refused(Map.of("listener.name.http.ssl.allow.san.changes", "maybe")).key())
        .isEqualTo("listener.name.http.ssl.allow.san.changes");
  }

  @Test
  void aStoreIsGivenByItsFileOrByInlinePemNotBoth() {
    Path ks = broker.keyStore(dir.resolve("both.pem"), "PEM", "", "");
    ConfigException both = refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_LOCATION, ks.toString(), SslConfig.KEYSTORE_KEY, broker.keyPem(),
        SslConfig.KEYSTORE_CERTIFICATE_CHAIN, broker.chainPem()));
    assertThat(both.key()).isEqualTo(SslConfig.KEYSTORE_KEY);
    assertThat(both.getMessage()).contains(SslConfig.KEYSTORE_LOCATION);
    ConfigException notPem = refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_KEY,
        broker.keyPem(), SslConfig.KEYSTORE_CERTIFICATE_CHAIN, broker.chainPem()));
    assertThat(notPem.getMessage()).contains(SslConfig.KEYSTORE_TYPE + "=PEM");
    Path ts = ca.trustStore(dir.resolve("both-ca.pem"), "PEM", "");
    assertThat(refused(Map.of(SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_LOCATION, ks.toString(), SslConfig.TRUSTSTORE_TYPE, "PEM",
        SslConfig.TRUSTSTORE_LOCATION, ts.toString(), SslConfig.TRUSTSTORE_CERTIFICATES, ca.certificatePem())).key())
        .isEqualTo(SslConfig.TRUSTSTORE_CERTIFICATES);
  }

  /** Inter-broker TLS with {@code cert} as a PEM key store and the test CA as the trust store. */
  private static SslConfig interBroker(Issued cert, String name) {
    return interBroker(cert, name, Map.of());
  }

  private static SslConfig interBroker(Issued cert, String name, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    m.putAll(Map.of(SslConfig.INTER_BROKER_PROTOCOL, "SSL", SslConfig.HTTP_SSL_ENABLE, true,
        SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_LOCATION, cert.keyStore(dir.resolve(name + ".pem"), "PEM", "", "").toString(),
        SslConfig.TRUSTSTORE_TYPE, "PEM",
        SslConfig.TRUSTSTORE_LOCATION, ca.trustStore(dir.resolve("ca.pem"), "PEM", "").toString()));
    return config(m).ssl();
  }
}
