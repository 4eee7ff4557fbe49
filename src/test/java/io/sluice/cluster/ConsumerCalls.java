package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The REST v2 calls the consumer group ITs make on a {@link BrokerCluster}: JSON records produced, consumer
 * instances created and told what to do, their records polled through any broker while the group fails over.
 */
final class ConsumerCalls {
  static final String V2 = "application/vnd.kafka.v2+json";
  static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
  private final BrokerCluster cluster;

  ConsumerCalls(BrokerCluster cluster) {
    this.cluster = cluster;
  }

  /** Produces the values v0..v{count-1} to the partition through {@code node}; fails unless all were written. */
  void produce(Node node, String topic, int partition, int count) throws Exception {
    JsonArray records = new JsonArray();
    for (int i = 0; i < count; i++) {
      records.add(new JsonObject().put("value", "v" + i));
    }
    HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(node.uri("/topics/" + topic + "/partitions/"
        + partition)).header("Content-Type", JSON_V2)
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("records", records).encode())));
    assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
  }

  /** A POST of {@code json} (no body when null) as REST v2 to {@code path} of {@code node}. */
  HttpResponse<byte[]> post(Node node, String path, JsonObject json) throws Exception {
    return cluster.send(HttpRequest.newBuilder(node.uri(path)).header("Content-Type", V2)
        .POST(json == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json.encode(), StandardCharsets.UTF_8)));
  }

  /** A GET of {@code path} of {@code node}, asking for JSON records. */
  HttpResponse<byte[]> get(Node node, String path) throws Exception {
    return cluster.send(HttpRequest.newBuilder(node.uri(path)).header("Accept", JSON_V2).GET());
  }

  /** Polls through {@code node} until at least {@code n} records came back, retrying refusals while failing over. */
  JsonArray pollUntil(Node node, String base, int n) {
    JsonArray got = new JsonArray();
    AtomicReference<String> last = new AtomicReference<>();
    await("" + n + " records through broker " + node.id + " (last answer: " + last + ")", () -> {
      try {
        HttpResponse<byte[]> r = get(node, base + "/records?timeout=500");
        last.set(r.statusCode() + " " + body(r));
        if (r.statusCode() == 200) {
          new JsonArray(body(r)).forEach(got::add);
        }
      } catch (Exception e) {
        last.set(e.toString());
      }
      return got.size() >= n;
    }, 60_000);
    return got;
  }
}
