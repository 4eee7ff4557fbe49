package io.sluice.client.impl;

import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicPartition;
import io.sluice.record.Header;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The REST v2 consumer instance requests of one {@link GroupConsumerImpl}, with their JSON shapes. The instance is
 * served by the broker named in the {@code base_uri} that created it. Stateless after {@link #create}; futures
 * complete on the calling context.
 */
final class ConsumerInstanceApi {
  private static final String JSON = "application/json";
  private static final String BINARY_RECORDS = "application/vnd.kafka.binary.v2+json";

  private final Transport transport;
  private final MetadataCache metadata;
  private URI broker;
  private String basePath;

  ConsumerInstanceApi(Transport transport, MetadataCache metadata) {
    this.transport = transport;
    this.metadata = metadata;
  }

  /** {@code POST /consumers/{g}} then {@code POST base/subscription}. Broker-side auto-commit is off. */
  Future<Void> create(ConsumerOptions o) {
    JsonObject settings = new JsonObject().put("format", "binary")
        .put("auto.offset.reset", o.fromEarliest() ? "earliest" : "latest")
        .put("auto.commit.enable", false)
        .put("session.timeout.ms", o.sessionTimeoutMs())
        .put("partition.assignment.strategy", o.assignor());
    return metadata.anyBroker(HttpMethod.POST, "/consumers/" + MetadataCache.encode(o.group()), settings)
        .compose(r -> {
          URI base = URI.create(r.json().getString("base_uri"));
          broker = URI.create(base.getScheme() + "://" + base.getRawAuthority());
          basePath = base.getRawPath();
          return send(HttpMethod.POST, "/subscription", new JsonObject().put("topics", new JsonArray(o.topics())));
        }).mapEmpty();
  }

  boolean created() {
    return basePath != null;
  }

  Future<List<ConsumerRecord>> poll(long timeoutMs, int maxBytes) {
    return transport.send(HttpMethod.GET, broker, basePath + "/records?timeout=" + timeoutMs + "&max_bytes=" + maxBytes,
        null, BINARY_RECORDS, null).map(r -> decode(r.body().toJsonArray()));
  }

  Future<Set<TopicPartition>> assignment() {
    return send(HttpMethod.GET, "/assignments", null).map(r -> {
      JsonArray ps = r.json().getJsonArray("partitions", new JsonArray());
      Set<TopicPartition> out = new HashSet<>();
      for (int i = 0; i < ps.size(); i++) {
        JsonObject p = ps.getJsonObject(i);
        out.add(new TopicPartition(p.getString("topic"), p.getInteger("partition")));
      }
      return out;
    });
  }

  /** Commits last processed offsets. */
  Future<Void> commit(Map<TopicPartition, Long> lastProcessed) {
    JsonArray offsets = new JsonArray();
    lastProcessed.forEach((tp, o) -> offsets.add(ref(tp).put("offset", o)));
    return send(HttpMethod.POST, "/offsets", new JsonObject().put("offsets", offsets)).mapEmpty();
  }

  Future<Void> seek(TopicPartition tp, StartPosition position) {
    if (position instanceof StartPosition.Offset o) {
      return positions("", offsetsBody(ref(tp).put("offset", o.offset())));
    }
    if (position instanceof StartPosition.Timestamp t) {
      return positions("", offsetsBody(ref(tp).put("timestamp", t.timestampMs())));
    }
    JsonObject partitions = new JsonObject().put("partitions", new JsonArray().add(ref(tp)));
    return positions(position instanceof StartPosition.Beginning ? "/beginning" : "/end", partitions);
  }

  Future<Void> delete() {
    return basePath == null ? Future.succeededFuture() : send(HttpMethod.DELETE, "", null).mapEmpty();
  }

  private Future<Void> positions(String suffix, JsonObject body) {
    return send(HttpMethod.POST, "/positions" + suffix, body).mapEmpty();
  }

  private Future<Transport.Response> send(HttpMethod method, String suffix, JsonObject body) {
    return transport.send(method, broker, basePath + suffix, body == null ? null : JSON, JSON,
        body == null ? null : body.toBuffer());
  }

  private static JsonObject offsetsBody(JsonObject entry) {
    return new JsonObject().put("offsets", new JsonArray().add(entry));
  }

  private static JsonObject ref(TopicPartition tp) {
    return new JsonObject().put("topic", tp.topic()).put("partition", tp.partition());
  }

  /** Binary format: key, value and header values are base64 (or null). */
  static List<ConsumerRecord> decode(JsonArray array) {
    List<ConsumerRecord> out = new ArrayList<>(array.size());
    Base64.Decoder b64 = Base64.getDecoder();
    for (int i = 0; i < array.size(); i++) {
      JsonObject r = array.getJsonObject(i);
      List<Header> headers = new ArrayList<>();
      JsonArray hs = r.getJsonArray("headers", new JsonArray());
      for (int h = 0; h < hs.size(); h++) {
        JsonObject header = hs.getJsonObject(h);
        String v = header.getString("value");
        headers.add(new Header(header.getString("key"), v == null ? null : b64.decode(v)));
      }
      String k = r.getString("key");
      String v = r.getString("value");
      out.add(new ConsumerRecord(r.getString("topic"), r.getInteger("partition"), r.getLong("offset"),
          r.getLong("timestamp"), k == null ? null : b64.decode(k), v == null ? null : b64.decode(v), headers));
    }
    return out;
  }
}
