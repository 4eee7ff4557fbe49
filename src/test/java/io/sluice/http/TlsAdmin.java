package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * A test's HTTPS client of one broker's TLS listener trusting one CA: its configs endpoints, and the certificate a
 * new connection is shown (a real handshake).
 */
final class TlsAdmin {
  private final Vertx vertx;
  private final PemTrustOptions trust;
  private final int port;
  private final String host;
  private final KeyCertOptions keyCert;

  TlsAdmin(Vertx vertx, String caPem, int port) {
    this(vertx, caPem, port, "localhost", null);
  }

  /** Connecting to {@code host}, which the served certificate must name, showing {@code keyCert} (or none). */
  TlsAdmin(Vertx vertx, String caPem, int port, String host, KeyCertOptions keyCert) {
    this.vertx = vertx;
    this.trust = new PemTrustOptions().addCertValue(Buffer.buffer(caPem));
    this.port = port;
    this.host = host;
    this.keyCert = keyCert;
  }

  PemTrustOptions trust() {
    return trust.copy();
  }

  /** {@code POST /brokers/1/configs:alter} of {@code changes}, which must succeed. */
  JsonObject alter(JsonArray changes) throws Exception {
    HttpResponse<Buffer> response = alterAnswer(changes);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /** {@code POST /brokers/1/configs:alter} of {@code changes}, which must be refused 400 with {@code code}. */
  String refused(JsonArray changes, int code) throws Exception {
    return assertError(alterAnswer(changes), code);
  }

  HttpResponse<Buffer> alterAnswer(JsonArray changes) throws Exception {
    return request(HttpMethod.POST, "/brokers/1/configs:alter", new JsonObject().put("data", changes));
  }

  /** The entry {@code name} of {@code GET /brokers/1/configs}. */
  JsonObject described(String name) throws Exception {
    JsonObject all = request(HttpMethod.GET, "/brokers/1/configs", null).bodyAsJsonObject();
    return all.getJsonArray("configs").stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("name").equals(name)).findFirst().orElseThrow();
  }

  HttpResponse<Buffer> request(HttpMethod method, String path, JsonObject body) throws Exception {
    WebClient web = WebClient.create(vertx, new WebClientOptions().setSsl(true).setTrustOptions(trust())
        .setKeyCertOptions(keyCert).setVerifyHost(true));
    try {
      var request = web.request(method, port, host, path);
      return await(body == null ? request.send() : request.sendJsonObject(body));
    } finally {
      web.close();
    }
  }

  /** The serial number of the certificate a new TLS connection to {@code host} is shown, its name checked. */
  BigInteger servedSerial(String host) throws Exception {
    NetClient net = vertx.createNetClient(new NetClientOptions().setSsl(true).setTrustOptions(trust())
        .setKeyCertOptions(keyCert).setHostnameVerificationAlgorithm("HTTPS"));
    try {
      var socket = await(net.connect(port, host));
      BigInteger serial = ((X509Certificate) socket.peerCertificates().get(0)).getSerialNumber();
      socket.close();
      return serial;
    } finally {
      net.close();
    }
  }

  BigInteger servedSerial() throws Exception {
    return servedSerial(host);
  }

  /** Asserts a 400 with {@code code}; returns its message. */
  static String assertError(HttpResponse<Buffer> response, int code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    assertThat(response.bodyAsJsonObject().getInteger("error_code")).isEqualTo(code);
    return response.bodyAsJsonObject().getString("message");
  }

  static JsonObject set(String name, Object value) {
    return new JsonObject().put("name", name).put("value", String.valueOf(value));
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(60, TimeUnit.SECONDS);
  }
}
