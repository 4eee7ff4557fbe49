package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestCertificates.Authority;
import io.sluice.broker.testing.TestCertificates.Issued;
import io.sluice.config.BrokerConfig;
import io.sluice.config.SslConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating the HTTP listener's certificate without a restart ({@code POST /brokers/{b}/configs:alter} of
 * {@code listener.name.http.ssl.keystore.*}, Kafka's dynamic keystore update): a new connection gets the new
 * certificate, even from the same file path re-read; a connection opened before keeps working; a store that does not
 * load, or whose certificate changes subject or drops a name, is refused and the old one still served; a restart
 * serves the rotated one; what Kafka refuses (the cluster default, another broker's id, unprefixed keys, a password
 * with nothing to encrypt it) is refused.
 */
class CertificateRotationTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String LOCATION = "listener.name.http.ssl.keystore.location";
  private static final String PASSWORD = "listener.name.http.ssl.keystore.password";

  @TempDir
  Path dir;
  private Authority ca;
  private Issued first;
  private BrokerConfig config;
  private Broker broker;
  private Vertx vertx;

  @BeforeEach
  void start() throws Exception {
    ca = Authority.create("rotation-ca");
    first = ca.issue("CN=localhost,O=Sluice");
    Map<String, Object> tls = new HashMap<>();
    tls.put(SslConfig.HTTP_SSL_ENABLE, true);
    tls.put(SslConfig.KEYSTORE_LOCATION, first.keyStore(dir.resolve("broker.p12"), "PKCS12", "pw", "pw").toString());
    tls.put(SslConfig.KEYSTORE_PASSWORD, "pw");
    tls.put(SslConfig.PASSWORD_ENCODER_SECRET, "test-encoder-secret");
    tls.put(BrokerConfig.CONNECT_ENABLED, false);
    tls.put(BrokerConfig.STREAMS_ENABLED, false);
    config = TestBrokers.config(dir.resolve("data"), tls);
    broker = TestBrokers.start(config, GUARD, HttpListener::new);
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRotationReachesNewConnectionsAndLeavesOpenOnesWorking() throws Exception {
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
        .setTrustOptions(trust()).setVerifyHost(true));
    HttpClientConnection open = await(client.connect(new HttpConnectOptions().setHost("localhost")
        .setPort(broker.httpPort())));
    assertThat(status(open)).isEqualTo(200);
    Issued second = ca.issue("CN=localhost,O=Sluice");
    // The same path, re-read: Kafka reloads a store whose location did not change.
    second.keyStore(dir.resolve("broker.p12"), "PKCS12", "pw2", "pw2");

    JsonObject answer = alter(new JsonArray().add(set(LOCATION, dir.resolve("broker.p12").toString()))
        .add(set(PASSWORD, "pw2")));

    assertThat(answer.getJsonArray("configs").stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("name").equals(LOCATION)).findFirst().orElseThrow().getString("source"))
        .isEqualTo("DYNAMIC_BROKER_CONFIG");
    assertThat(servedSerial()).isEqualTo(second.certificate().getSerialNumber());
    assertThat(status(open)).as("a connection opened before the rotation").isEqualTo(200);
    assertThat(((X509Certificate) open.peerCertificates().get(0)).getSerialNumber())
        .isEqualTo(first.certificate().getSerialNumber());
  }

  @Test
  void aStoreThatDoesNotFitIsRefusedAndTheOldOneStillServed() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.p12"), "not a key store");
    assertRefused(new JsonArray().add(set(LOCATION, garbage.toString())), "Cannot load the key store");
    Path otherSubject = ca.issue("CN=impostor").keyStore(dir.resolve("impostor.p12"), "PKCS12", "pw", "pw");
    assertRefused(new JsonArray().add(set(LOCATION, otherSubject.toString())), "DistinguishedName does not match");
    Path noStore = dir.resolve("missing.p12");
    assertRefused(new JsonArray().add(set(LOCATION, noStore.toString())), "Cannot read");

    assertThat(servedSerial()).isEqualTo(first.certificate().getSerialNumber());
  }

  @Test
  void aRestartServesTheRotatedCertificate() throws Exception {
    Issued second = ca.issue("CN=localhost,O=Sluice");
    Path rotated = second.keyStore(dir.resolve("rotated.p12"), "PKCS12", "pw2", "pw2");
    alter(new JsonArray().add(set(LOCATION, rotated.toString())).add(set(PASSWORD, "pw2")));

    TestBrokers.close(broker);
    broker = null;
    broker = TestBrokers.start(config, GUARD, HttpListener::new);

    assertThat(servedSerial()).isEqualTo(second.certificate().getSerialNumber());
    JsonObject password = admin().described(PASSWORD);
    assertThat(password.getValue("value")).isNull();
    assertThat(password.getBoolean("is_sensitive")).isTrue();
    assertThat(password.getString("source")).isEqualTo("DYNAMIC_BROKER_CONFIG");
  }

  @Test
  void whatKafkaRefusesIsRefused() throws Exception {
    Path rotated = ca.issue("CN=localhost,O=Sluice").keyStore(dir.resolve("r.p12"), "PKCS12", "pw", "pw");
    JsonObject body = new JsonObject().put("data", new JsonArray().add(set(LOCATION, rotated.toString())));
    assertError(request(HttpMethod.POST, "/brokers/-/configs:alter", body), 40, "default cluster level");
    assertError(request(HttpMethod.POST, "/brokers/7/configs:alter", body), 42, "Unexpected broker id");
    JsonObject unprefixed = new JsonObject().put("data", new JsonArray().add(set("ssl.keystore.location",
        rotated.toString())));
    assertError(request(HttpMethod.POST, "/brokers/1/configs:alter", unprefixed), 40, "listener prefix");
    JsonObject plainListener = new JsonObject().put("data", new JsonArray().add(set(
        "listener.name.broker.ssl.keystore.location", rotated.toString())));
    assertError(request(HttpMethod.POST, "/brokers/1/configs:alter", plainListener), 40, "does not serve TLS");
  }

  @Test
  void aPasswordIsNotStoredWithoutAnEncoderSecret() throws Exception {
    TestBrokers.close(broker);
    broker = null;
    broker = TestBrokers.start(config.with(SslConfig.PASSWORD_ENCODER_SECRET, ""), GUARD, HttpListener::new);
    Path rotated = ca.issue("CN=localhost,O=Sluice").keyStore(dir.resolve("r.p12"), "PKCS12", "pw", "pw");
    JsonObject body = new JsonObject().put("data", new JsonArray().add(set(LOCATION, rotated.toString()))
        .add(set(PASSWORD, "pw")));
    assertError(request(HttpMethod.POST, "/brokers/1/configs:alter", body), 40, SslConfig.PASSWORD_ENCODER_SECRET);
    assertThat(servedSerial()).isEqualTo(first.certificate().getSerialNumber());
  }

  private void assertRefused(JsonArray changes, String why) throws Exception {
    assertThat(admin().refused(changes, 40)).contains(why);
  }

  private static void assertError(HttpResponse<Buffer> response, int code, String text) {
    assertThat(TlsAdmin.assertError(response, code)).contains(text);
  }

  private JsonObject alter(JsonArray changes) throws Exception {
    return admin().alter(changes);
  }

  private HttpResponse<Buffer> request(HttpMethod method, String path, JsonObject body) throws Exception {
    return admin().request(method, path, body);
  }

  private BigInteger servedSerial() throws Exception {
    return admin().servedSerial();
  }

  /** A client of the broker as it runs now (a restart takes another port). */
  private TlsAdmin admin() {
    return new TlsAdmin(vertx, ca.certificatePem(), broker.httpPort());
  }

  private static int status(HttpClientConnection connection) throws Exception {
    return await(connection.request(HttpMethod.GET, "/health").compose(r -> r.send())
        .compose(r -> r.body().map(b -> r)).map(HttpClientResponse::statusCode));
  }

  private PemTrustOptions trust() {
    return admin().trust();
  }

  private static JsonObject set(String name, String value) {
    return TlsAdmin.set(name, value);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return TlsAdmin.await(f);
  }
}
