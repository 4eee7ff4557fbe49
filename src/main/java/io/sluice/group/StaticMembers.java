package io.sluice.group;

import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The static members of a server-assigned group (KIP-345) as its generation record in {@link OffsetsTopic} keeps them,
 * so that a coordinator that loads the group (the old one died, or the offsets topic partition's leadership moved)
 * knows which {@code group.instance.id} owns which partitions: a static member that comes back within its session
 * timeout takes them back without a rebalance, as in Kafka, whose coordinator writes every member to
 * {@code __consumer_offsets} on each generation. Dynamic members are not kept: a new coordinator cannot tell their
 * consumers' next join from a new member's, so they rejoin and the group rebalances.
 *
 * <p>Layout, added to the group record's value: {@code "static_members": [{"group_instance_id", "member_id",
 * "client_id", "session_timeout_ms", "topics" | "topic_pattern", "partitions": [{"topic", "partition"}]}]} and
 * {@code "assigned_from": {topic: partition count}}. A record without them (a group without static members, an empty
 * group, a record of an older broker) restores none.
 */
final class StaticMembers {
  private StaticMembers() {
  }

  /** The group record of {@code g}'s current generation, with its static members. */
  static OffsetsTopic.Entry groupEntry(Group g) {
    OffsetsTopic.Entry e = OffsetsTopic.groupEntry(g.groupId(), g.generation(), g.assignorName());
    JsonArray members = new JsonArray();
    g.members().values().stream().filter(m -> m.groupInstanceId() != null && m.subscription() != null)
        .forEach(m -> members.add(toJson(m)));
    if (!members.isEmpty()) {
      e.value().put("static_members", members).put("assigned_from", new JsonObject(new TreeMap<>(g.assignedFrom())));
    }
    return e;
  }

  private static JsonObject toJson(Member m) {
    JsonObject j = new JsonObject().put("group_instance_id", m.groupInstanceId()).put("member_id", m.memberId())
        .put("client_id", m.clientId()).put("session_timeout_ms", m.sessionTimeoutMs());
    Subscription s = m.subscription();
    if (s.pattern() != null) {
      j.put("topic_pattern", s.patternText());
    } else {
      j.put("topics", new JsonArray(new ArrayList<>(new java.util.TreeSet<>(s.topics()))));
    }
    JsonArray partitions = new JsonArray();
    m.assignment().forEach(tp -> partitions.add(new JsonObject().put("topic", tp.topic())
        .put("partition", tp.partition())));
    return j.put("partitions", partitions);
  }

  /**
   * Restores the static members of a loaded group record into {@code g}, their sessions starting at {@code nowMs}; does
   * nothing when the record has none or the group has members already.
   */
  static void restore(Group g, JsonObject record, long nowMs) {
    JsonArray persisted = record == null ? null : record.getJsonArray("static_members");
    if (persisted == null || persisted.isEmpty() || !g.members().isEmpty()) {
      return;
    }
    List<Member> members = new ArrayList<>();
    for (Object o : persisted) {
      JsonObject j = (JsonObject) o;
      Subscription s = j.containsKey("topic_pattern") ? Subscription.ofPattern(j.getString("topic_pattern"))
          : Subscription.ofTopics(j.getJsonArray("topics").stream().map(String::valueOf).toList());
      Member m = new Member(j.getString("member_id"), j.getString("client_id"), s, j.getLong("session_timeout_ms"),
          nowMs, j.getString("group_instance_id"));
      List<TopicPartition> assignment = new ArrayList<>();
      j.getJsonArray("partitions").forEach(p -> assignment.add(new TopicPartition(((JsonObject) p).getString("topic"),
          ((JsonObject) p).getInteger("partition"))));
      m.assignment(assignment);
      members.add(m);
    }
    Map<String, Integer> assignedFrom = new TreeMap<>();
    record.getJsonObject("assigned_from", new JsonObject()).forEach(e -> assignedFrom.put(e.getKey(),
        ((Number) e.getValue()).intValue()));
    g.restoreStaticMembers(members, record.getString("assignor", "range"), assignedFrom);
  }
}
