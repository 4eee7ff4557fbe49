package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/** A streams test's HTTP calls to its broker: JSON requests, topics created, records produced and read back. */
final class BrokerHttp {
  static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Reply(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private final IntSupplier port;

  /** {@code port}: asked at each call, so a test may make this before its broker starts. */
  BrokerHttp(IntSupplier port) {
    this.port = port;
  }

  Reply send(String method, String path, Object body, String contentType) throws Exception {
    HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString());
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt() + path))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", contentType).header("Accept", JSON_V2)
        .method(method, publisher).build();
    HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body());
  }

  Reply send(String method, String path, Object body) throws Exception {
    return send(method, path, body, "application/json");
  }

  void createTopic(String name, int partitions) throws Exception {
    Reply r = send("POST", "/topics", new JsonObject().put("name", name).put("partitions", partitions)
        .put("replication_factor", 1));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  void produce(String topic, JsonArray records) throws Exception {
    Reply r = send("POST", "/topics/" + topic, new JsonObject().put("records", records), JSON_V2);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  /** Every record of the topic's partition so far. */
  List<JsonObject> read(String topic, int partition) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    while (true) {
      Reply r = send("GET", "/topics/" + topic + "/partitions/" + partition + "/records?offset=" + out.size(), null);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonArray a = new JsonArray(r.body());
      if (a.isEmpty()) {
        return out;
      }
      a.forEach(o -> out.add((JsonObject) o));
    }
  }
}
