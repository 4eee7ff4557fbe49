package io.sluice.http;

import io.sluice.api.OffsetRange;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicMetadata.PartitionMetadata;
import io.sluice.api.TopicMetadata.ReplicaInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Topic metadata in Kafka REST v2's shapes. */
final class TopicJson {
  private TopicJson() {
  }

  /** {@code {"name", "configs": {...}, "partitions": [...]}} */
  static JsonObject topic(TopicMetadata topic) {
    JsonArray partitions = new JsonArray();
    topic.partitions().forEach(p -> partitions.add(partition(p)));
    return new JsonObject()
        .put("name", topic.name())
        .put("configs", new JsonObject(new java.util.LinkedHashMap<>(topic.configs())))
        .put("partitions", partitions);
  }

  /** {@code {"partition", "leader", "replicas": [{"broker", "leader", "in_sync"}]}} */
  static JsonObject partition(PartitionMetadata partition) {
    JsonArray replicas = new JsonArray();
    for (ReplicaInfo r : partition.replicas()) {
      replicas.add(new JsonObject().put("broker", r.broker()).put("leader", r.leader()).put("in_sync", r.inSync()));
    }
    return new JsonObject()
        .put("partition", partition.partition())
        .put("leader", partition.leader())
        .put("replicas", replicas);
  }

  /**
   * A topic config in REST v3's shape: {@code {"name", "value", "is_default", "is_read_only", "is_sensitive",
   * "source", "synonyms": [{"name", "value", "source"}]}}.
   */
  static JsonObject config(io.sluice.api.TopicConfigEntry entry) {
    JsonArray synonyms = new JsonArray();
    entry.synonyms().forEach(s -> synonyms.add(new JsonObject().put("name", s.name()).put("value", s.value())
        .put("source", s.source())));
    return new JsonObject().put("name", entry.name()).put("value", entry.value())
        .put("is_default", entry.isDefault()).put("is_read_only", entry.readOnly()).put("is_sensitive", false)
        .put("source", entry.source()).put("synonyms", synonyms);
  }

  /** {@code {"beginning_offset", "end_offset", "last_stable_offset"}} */
  static JsonObject offsets(OffsetRange range) {
    return new JsonObject().put("beginning_offset", range.beginningOffset()).put("end_offset", range.endOffset())
        .put("last_stable_offset", range.lastStableOffset());
  }
}
