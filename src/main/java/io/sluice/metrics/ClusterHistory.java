package io.sluice.metrics;

import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription.BrokerInfo;
import io.sluice.api.RequestContext;
import io.sluice.broker.partition.ReplicaStats;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The cluster's view of the metrics history: every live broker's own history (this one's read directly, the others'
 * through their public {@code GET /metrics/history?scope=local}), merged into one time axis of buckets an interval
 * wide. Within a bucket a broker's last sample counts; across brokers {@code total.*} and {@code topic.*} series are
 * summed (each request is counted by one broker), {@code group.*} take the largest (one coordinator holds a group;
 * after it moves the old one's values age out), and {@code broker.*} series are kept apart as {@code name/brokerId}.
 */
final class ClusterHistory {
  private static final long PEER_TIMEOUT_MS = 2_000;

  private final int brokerId;
  private final BrokerService service;
  private final MetricsHistory local;
  private final HttpClient http;
  private final long intervalMs;
  private final Supplier<List<ReplicaStats>> replicas;

  private final Supplier<String[]> credentials;

  ClusterHistory(int brokerId, BrokerService service, MetricsHistory local, HttpClient http, long intervalMs,
      Supplier<List<ReplicaStats>> replicas, Supplier<String[]> credentials) {
    this.credentials = credentials;
    this.replicas = replicas;
    this.brokerId = brokerId;
    this.service = service;
    this.local = local;
    this.http = http;
    this.intervalMs = intervalMs;
  }

  /** This broker's history after {@code sinceMs}. */
  JsonObject local(long sinceMs) {
    return local.toJson(sinceMs).put("interval_ms", intervalMs).put("brokers", new JsonArray().add(brokerId));
  }

  /** The merged history after {@code sinceMs} of every broker that answered; those that did not are listed. */
  Future<JsonObject> cluster(long sinceMs) {
    return service.describeCluster(RequestContext.internal(brokerId)).compose(cluster -> {
      Map<Integer, Future<JsonObject>> parts = new TreeMap<>();
      for (BrokerInfo b : cluster.brokers()) {
        if (b.id() == brokerId) {
          parts.put(b.id(), Future.succeededFuture(local.toJson(sinceMs)));
        } else if (b.alive()) {
          parts.put(b.id(), fetch(b, sinceMs));
        }
      }
      parts.putIfAbsent(brokerId, Future.succeededFuture(local.toJson(sinceMs)));
      return Future.join(new ArrayList<>(parts.values())).transform(ignored -> {
        Map<Integer, JsonObject> answered = new TreeMap<>();
        JsonArray unreachable = new JsonArray();
        parts.forEach((id, f) -> {
          if (f.succeeded()) {
            answered.put(id, f.result());
          } else {
            unreachable.add(id);
          }
        });
        return Future.succeededFuture(merge(answered, intervalMs).put("unreachable", unreachable));
      });
    });
  }

  private Future<JsonObject> fetch(BrokerInfo b, long sinceMs) {
    return get(b, "/metrics/history?scope=local&since=" + sinceMs).map(JsonObject::new);
  }

  private Future<Buffer> get(BrokerInfo b, String uri) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(b.host()).setPort(b.port())
        .setURI(uri).setTimeout(PEER_TIMEOUT_MS);
    String[] userAndPassword = credentials.get();
    if (userAndPassword != null) {
      options.putHeader("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
          (userAndPassword[0] + ":" + userAndPassword[1]).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    // The body is asked for in a stage of send()'s own future, not one after it (see Jwks#answer).
    return http.request(options).compose(req -> req.send().compose(resp -> resp.statusCode() == 200
        ? resp.body() : Future.failedFuture("broker " + b.id() + " answered " + resp.statusCode())));
  }

  /**
   * This broker's replicas ({@code topic} null: all), as
   * {@code [{"topic", "partition", "broker", "leader", "log_start_offset", "log_end_offset", "high_watermark",
   * "size_bytes"}]}.
   */
  JsonArray localReplicas(String topic) {
    JsonArray out = new JsonArray();
    for (ReplicaStats r : replicas.get()) {
      if (topic == null || topic.equals(r.tp().topic())) {
        out.add(new JsonObject().put("topic", r.tp().topic()).put("partition", r.tp().partition())
            .put("broker", brokerId).put("leader", r.leader()).put("log_start_offset", r.logStartOffset())
            .put("log_end_offset", r.logEndOffset()).put("high_watermark", r.leader() ? r.highWatermark() : null)
            .put("size_bytes", r.sizeBytes()));
      }
    }
    return out;
  }

  /** Every live broker's {@link #localReplicas}, concatenated; brokers that did not answer are left out. */
  Future<JsonArray> clusterReplicas(String topic) {
    String query = topic == null ? "" : "&topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8);
    return service.describeCluster(RequestContext.internal(brokerId)).compose(cluster -> {
      List<Future<JsonArray>> parts = new ArrayList<>();
      parts.add(Future.succeededFuture(localReplicas(topic)));
      for (BrokerInfo b : cluster.brokers()) {
        if (b.id() != brokerId && b.alive()) {
          parts.add(get(b, "/metrics/replicas?scope=local" + query).map(JsonArray::new));
        }
      }
      return Future.join(new ArrayList<>(parts)).transform(ignored -> {
        JsonArray out = new JsonArray();
        parts.stream().filter(Future::succeeded).forEach(f -> out.addAll(f.result()));
        return Future.succeededFuture(out);
      });
    });
  }

  /** Merges brokers' histories (each {@code {"times", "series"}}) as the class comment says. */
  static JsonObject merge(Map<Integer, JsonObject> byBroker, long intervalMs) {
    TreeMap<Long, Map<String, Double>> merged = new TreeMap<>();
    byBroker.forEach((id, h) -> perBucket(h, intervalMs).forEach((bucket, values) -> {
      Map<String, Double> into = merged.computeIfAbsent(bucket, k -> new HashMap<>());
      values.forEach((name, v) -> {
        if (name.startsWith("broker.")) {
          into.put(name + "/" + id, v);
        } else if (name.startsWith("group.")) {
          into.merge(name, v, Math::max);
        } else {
          into.merge(name, v, Double::sum);
        }
      });
    }));
    TreeSet<String> names = new TreeSet<>();
    merged.values().forEach(m -> names.addAll(m.keySet()));
    JsonArray times = new JsonArray();
    Map<String, JsonArray> series = new LinkedHashMap<>();
    names.forEach(n -> series.put(n, new JsonArray()));
    merged.forEach((bucket, values) -> {
      times.add(bucket);
      names.forEach(n -> series.get(n).add(values.get(n)));
    });
    JsonObject seriesJson = new JsonObject();
    series.forEach(seriesJson::put);
    return new JsonObject().put("interval_ms", intervalMs).put("brokers", new JsonArray(List.copyOf(byBroker.keySet())))
        .put("times", times).put("series", seriesJson);
  }

  /** One broker's samples by bucket start; the last sample in a bucket wins. */
  private static Map<Long, Map<String, Double>> perBucket(JsonObject history, long intervalMs) {
    Map<Long, Map<String, Double>> out = new TreeMap<>();
    JsonArray times = history.getJsonArray("times", new JsonArray());
    JsonObject series = history.getJsonObject("series", new JsonObject());
    for (int i = 0; i < times.size(); i++) {
      long bucket = times.getLong(i) / intervalMs * intervalMs;
      Map<String, Double> values = new HashMap<>();
      for (String name : series.fieldNames()) {
        Number v = (Number) series.getJsonArray(name).getValue(i);
        if (v != null) {
          values.put(name, v.doubleValue());
        }
      }
      out.put(bucket, values);
    }
    return out;
  }
}
