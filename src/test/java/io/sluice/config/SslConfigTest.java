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
    interBroker(ca.issue("CN=broker-1,O=Sluice"), "same").requireCompatible(old, true);
    ConfigException otherName = catchThrowableOfType(() -> interBroker(ca.issue("CN=broker-1,O=Sluice",
        "elsewhere.example"), "renamed").requireCompatible(old, true), ConfigException.class);
    assertThat(otherName.getMessage()).contains("SubjectAltNames do not match").contains("localhost");
    ConfigException otherSubject = catchThrowableOfType(() -> interBroker(ca.issue("CN=broker-2,O=Sluice"),
        "other").requireCompatible(old, true), ConfigException.class);
    assertThat(otherSubject.getMessage()).contains("DistinguishedName does not match");
    Issued rogue = Authority.create("rogue-ca").issue("CN=broker-1,O=Sluice");
    ConfigException untrusted = catchThrowableOfType(() -> interBroker(rogue, "rogue").requireCompatible(old, true),
        ConfigException.class);
    assertThat(untrusted.getMessage()).contains("does not vouch");
    // The HTTP listener's trust store checks clients, not the broker's own certificate.
    interBroker(rogue, "rogue-http").requireCompatible(old, false);
  }

  /** Inter-broker TLS with {@code cert} as a PEM key store and the test CA as the trust store. */
  private static SslConfig interBroker(Issued cert, String name) {
    return config(Map.of(SslConfig.INTER_BROKER_PROTOCOL, "SSL", SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_LOCATION, cert.keyStore(dir.resolve(name + ".pem"), "PEM", "", "").toString(),
        SslConfig.TRUSTSTORE_TYPE, "PEM",
        SslConfig.TRUSTSTORE_LOCATION, ca.trustStore(dir.resolve("ca.pem"), "PEM", "").toString())).ssl();
  }
}
