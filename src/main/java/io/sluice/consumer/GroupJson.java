package io.sluice.consumer;

import io.sluice.api.CommittedOffset;
import io.sluice.api.GroupDescription;
import io.sluice.api.GroupListing;
import io.sluice.api.OffsetDelete;
import io.sluice.api.OffsetReset;
import io.sluice.api.PartitionLag;
import io.sluice.api.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The REST API's JSON shapes of the group service's answers ({@code /consumer-groups}). */
final class GroupJson {
  private GroupJson() {
  }

  /** {@code [{"group_id", "state"}]}. */
  static JsonArray listings(List<GroupListing> groups) {
    JsonArray out = new JsonArray();
    groups.forEach(g -> out.add(new JsonObject().put("group_id", g.groupId()).put("state", g.state())));
    return out;
  }

  /**
   * {@code {"group_id", "state", "generation", "assignor", "members": [{"member_id", "instance_id",
   * "group_instance_id", "partitions"}]}}: {@code instance_id} is the consumer instance's name (REST v2's), and
   * {@code group_instance_id} a static member's {@code group.instance.id} (null for a dynamic member).
   */
  static JsonObject description(GroupDescription d) {
    JsonArray members = new JsonArray();
    d.members().forEach(m -> members.add(new JsonObject().put("member_id", m.memberId())
        .put("instance_id", m.clientId()).put("group_instance_id", m.groupInstanceId())
        .put("partitions", partitions(m.partitions()))));
    return new JsonObject().put("group_id", d.groupId()).put("state", d.state()).put("generation", d.generation())
        .put("assignor", d.protocol()).put("members", members);
  }

  /**
   * {@code committed_offset} follows the REST v2 convention of every other Sluice answer (the last record processed:
   * what a commit sends and {@code GET .../offsets} shows); {@code next_offset} is where the group resumes (Kafka's
   * committed offset, one more), and {@code lag} is {@code log_end_offset - next_offset}.
   */
  static JsonArray lags(List<PartitionLag> lags) {
    JsonArray out = new JsonArray();
    lags.forEach(l -> {
      CommittedOffset c = l.committed();
      out.add(new JsonObject().put("topic", l.partition().topic()).put("partition", l.partition().partition())
          .put("committed_offset", c == null ? null : c.offset() - 1).put("next_offset", c == null ? null : c.offset())
          .put("log_end_offset", l.logEndOffset()).put("lag", l.lag()));
    });
    return out;
  }

  /** {@code [{"topic", "partition", "current_offset", "new_offset", "records_skipped", "records_replayed"}]}. */
  static JsonArray resetOutcomes(List<OffsetReset.Outcome> outcomes) {
    JsonArray out = new JsonArray();
    outcomes.forEach(o -> out.add(new JsonObject().put("topic", o.partition().topic())
        .put("partition", o.partition().partition()).put("current_offset", o.currentOffset())
        .put("new_offset", o.newOffset()).put("records_skipped", o.recordsSkipped())
        .put("records_replayed", o.recordsReplayed())));
    return out;
  }

  /** {@code [{"topic", "partition", "next_offset"}]}: the commit deleted (where the group would resume), or null. */
  static JsonArray deleteOutcomes(List<OffsetDelete.Outcome> outcomes) {
    JsonArray out = new JsonArray();
    outcomes.forEach(o -> out.add(new JsonObject().put("topic", o.partition().topic())
        .put("partition", o.partition().partition()).put("next_offset", o.deletedOffset())));
    return out;
  }

  private static JsonArray partitions(List<TopicPartition> tps) {
    JsonArray out = new JsonArray();
    tps.forEach(tp -> out.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())));
    return out;
  }
}
