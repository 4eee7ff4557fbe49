package io.sluice.client.impl;

import io.sluice.client.GroupDescription;
import io.sluice.client.GroupListing;
import io.sluice.client.OffsetReset;
import io.sluice.client.PartitionLag;
import io.sluice.client.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The JSON shapes of the {@code /consumer-groups} admin routes (see the OpenAPI document), both ways. Stateless. */
final class GroupAdminJson {
  private GroupAdminJson() {
  }

  static List<GroupListing> listings(JsonArray array) {
    List<GroupListing> out = new ArrayList<>();
    objects(array).forEach(g -> out.add(new GroupListing(g.getString("group_id"), g.getString("state"))));
    return out;
  }

  static GroupDescription description(JsonObject g) {
    List<GroupDescription.Member> members = new ArrayList<>();
    for (JsonObject m : objects(g.getJsonArray("members", new JsonArray()))) {
      List<TopicPartition> partitions = new ArrayList<>();
      objects(m.getJsonArray("partitions", new JsonArray())).forEach(p -> partitions.add(partition(p)));
      members.add(new GroupDescription.Member(m.getString("member_id"), m.getString("instance_id"), partitions,
          m.getString("group_instance_id")));
    }
    return new GroupDescription(g.getString("group_id"), g.getString("state"), g.getInteger("generation", 0),
        g.getString("assignor"), members);
  }

  static List<PartitionLag> lags(JsonArray array) {
    List<PartitionLag> out = new ArrayList<>();
    objects(array).forEach(l -> out.add(new PartitionLag(partition(l), l.getLong("next_offset"),
        l.getLong("log_end_offset"), l.getLong("lag"))));
    return out;
  }

  static JsonObject resetRequest(OffsetReset reset) {
    JsonObject body = new JsonObject().put("to", reset.to().name().toLowerCase(Locale.ROOT))
        .put("dry_run", reset.dryRun());
    if (reset.to() == OffsetReset.To.OFFSET) {
      body.put("offset", reset.value());
    } else if (reset.to() == OffsetReset.To.TIMESTAMP) {
      body.put("timestamp", reset.value());
    }
    if (!reset.topics().isEmpty()) {
      body.put("topics", new JsonArray(reset.topics()));
    }
    if (!reset.partitions().isEmpty()) {
      body.put("partitions", partitions(reset.partitions()));
    }
    return body;
  }

  static JsonArray partitions(List<TopicPartition> tps) {
    JsonArray out = new JsonArray();
    tps.forEach(tp -> out.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())));
    return out;
  }

  /** The commits deleted, in the answer's order; partitions that had none left out. */
  static Map<TopicPartition, Long> deletedOffsets(JsonArray array) {
    Map<TopicPartition, Long> out = new LinkedHashMap<>();
    objects(array).stream().filter(e -> e.getValue("next_offset") != null)
        .forEach(e -> out.put(partition(e), e.getLong("next_offset")));
    return out;
  }

  static List<OffsetReset.Result> resetResults(JsonArray array) {
    List<OffsetReset.Result> out = new ArrayList<>();
    objects(array).forEach(e -> out.add(new OffsetReset.Result(partition(e), e.getLong("current_offset"),
        e.getLong("new_offset"), e.getLong("records_skipped", 0L), e.getLong("records_replayed", 0L))));
    return out;
  }

  private static TopicPartition partition(JsonObject json) {
    return new TopicPartition(json.getString("topic"), json.getInteger("partition"));
  }

  private static List<JsonObject> objects(JsonArray array) {
    List<JsonObject> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      out.add(array.getJsonObject(i));
    }
    return out;
  }
}
