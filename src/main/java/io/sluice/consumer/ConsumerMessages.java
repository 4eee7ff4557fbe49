package io.sluice.consumer;

import io.sluice.group.CommittedOffset;
import io.sluice.group.Subscription;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.storage.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * JSON forms of {@link ConsumerService} arguments and results as they cross the event bus between brokers
 * ({@link RoutingConsumerService} to {@link ConsumerForwardServer}). A request is {@code {"op", "group", "name", ...}};
 * a reply {@code {"result": ...}}. Partitions are {@code {"topic", "partition"}}, partition maps
 * {@code [{"topic", "partition", "value"}]}, record bytes base64 (null stays null). Stateless.
 */
final class ConsumerMessages {
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  private ConsumerMessages() {
  }

  static JsonObject request(String op, String group, String name) {
    return new JsonObject().put("op", op).put("group", group).put("name", name);
  }

  static JsonArray partitions(List<TopicPartition> tps) {
    if (tps == null) {
      return null;
    }
    JsonArray a = new JsonArray();
    tps.forEach(tp -> a.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())));
    return a;
  }

  static List<TopicPartition> partitions(JsonArray a) {
    if (a == null) {
      return null;
    }
    List<TopicPartition> out = new ArrayList<>();
    for (Object o : a) {
      JsonObject j = (JsonObject) o;
      out.add(new TopicPartition(j.getString("topic"), j.getInteger("partition")));
    }
    return out;
  }

  static JsonArray longs(Map<TopicPartition, Long> m) {
    if (m == null) {
      return null;
    }
    JsonArray a = new JsonArray();
    m.forEach((tp, v) -> a.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())
        .put("value", v)));
    return a;
  }

  static Map<TopicPartition, Long> longs(JsonArray a) {
    if (a == null) {
      return null;
    }
    Map<TopicPartition, Long> m = new LinkedHashMap<>();
    for (Object o : a) {
      JsonObject j = (JsonObject) o;
      m.put(new TopicPartition(j.getString("topic"), j.getInteger("partition")), j.getLong("value"));
    }
    return m;
  }

  static JsonArray committed(Map<TopicPartition, CommittedOffset> m) {
    JsonArray a = new JsonArray();
    m.forEach((tp, c) -> a.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())
        .put("offset", c.offset()).put("metadata", c.metadata()).put("timestamp", c.commitTimestampMs())));
    return a;
  }

  static Map<TopicPartition, CommittedOffset> committed(JsonArray a) {
    Map<TopicPartition, CommittedOffset> m = new LinkedHashMap<>();
    for (Object o : a) {
      JsonObject j = (JsonObject) o;
      m.put(new TopicPartition(j.getString("topic"), j.getInteger("partition")),
          new CommittedOffset(j.getLong("offset"), j.getString("metadata"), j.getLong("timestamp")));
    }
    return m;
  }

  static JsonObject subscription(Subscription s) {
    if (s == null) {
      return null;
    }
    return s.pattern() != null ? new JsonObject().put("topic_pattern", s.patternText())
        : new JsonObject().put("topics", new JsonArray(new ArrayList<>(new TreeSet<>(s.topics()))));
  }

  static Subscription subscription(JsonObject j) {
    if (j == null) {
      return null;
    }
    return j.containsKey("topic_pattern") ? Subscription.ofPattern(Pattern.compile(j.getString("topic_pattern")))
        : Subscription.ofTopics(j.getJsonArray("topics").stream().map(String::valueOf).toList());
  }

  static JsonArray records(List<ConsumedRecord> records) {
    JsonArray a = new JsonArray();
    for (ConsumedRecord c : records) {
      Record r = c.record();
      JsonArray headers = new JsonArray();
      r.headers().forEach(h -> headers.add(new JsonObject().put("key", h.key()).put("value", b64(h.value()))));
      a.add(new JsonObject().put("topic", c.topic()).put("partition", c.partition()).put("offset", r.offset())
          .put("timestamp", r.timestamp()).put("key", b64(r.key())).put("value", b64(r.value()))
          .put("headers", headers));
    }
    return a;
  }

  static List<ConsumedRecord> records(JsonArray a) {
    List<ConsumedRecord> out = new ArrayList<>(a.size());
    for (Object o : a) {
      JsonObject j = (JsonObject) o;
      List<Header> headers = new ArrayList<>();
      for (Object h : j.getJsonArray("headers")) {
        JsonObject hj = (JsonObject) h;
        headers.add(new Header(hj.getString("key"), unb64(hj.getString("value"))));
      }
      out.add(new ConsumedRecord(j.getString("topic"), j.getInteger("partition"), new Record(j.getLong("offset"),
          j.getLong("timestamp"), unb64(j.getString("key")), unb64(j.getString("value")), headers)));
    }
    return out;
  }

  private static String b64(byte[] b) {
    return b == null ? null : B64.encodeToString(b);
  }

  private static byte[] unb64(String s) {
    return s == null ? null : B64D.decode(s);
  }
}
