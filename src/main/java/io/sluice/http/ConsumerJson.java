package io.sluice.http;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.api.OffsetCommit;
import io.sluice.api.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the Kafka REST v2 consumer bodies: {@code {"partitions": [{"topic", "partition"}]}} and
 * {@code {"offsets": [{"topic", "partition", "offset"}]}}; a malformed one is 400 MALFORMED_REQUEST naming the
 * element. Shared by the consumer endpoints and the WebSocket commit frame.
 */
final class ConsumerJson {
  private ConsumerJson() {
  }

  static List<TopicPartition> partitions(JsonObject body) {
    requireKnown(body, "The body", Set.of("partitions"));
    JsonArray array = array(body, "partitions");
    List<TopicPartition> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      out.add(topicPartition(array.getValue(i), "partitions[" + i + "]"));
      requireKnown((JsonObject) array.getValue(i), "partitions[" + i + "]", Set.of("topic", "partition"));
    }
    return out;
  }

  /**
   * Refuses a field the request would ignore: an {@code "offset"} in an assignment was not followed, a misspelt
   * {@code "topic_patern"} left the subscription to its topics, both without a word.
   */
  static void requireKnown(JsonObject o, String where, Set<String> known) {
    for (String field : o.fieldNames()) {
      if (!known.contains(field)) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, where + " has an unknown field "
            + Echo.quoted(field) + "; it"
            + " takes " + new java.util.TreeSet<>(known));
      }
    }
  }

  /** {@code field}[i].{@code valueField} by partition, each a non-negative integer. */
  static Map<TopicPartition, Long> offsets(JsonArray array, String field, String valueField) {
    return offsets(array, field, valueField, Long.MAX_VALUE, Set.of("topic", "partition", valueField));
  }

  /**
   * A commit's {@code field}[i].offset, the last record processed (REST v2), as the offset the group resumes at: one
   * past it. The last offset a long can hold has no next one, so it is refused like any other value out of range.
   */
  static Map<TopicPartition, Long> resumeAfter(JsonArray array, String field) {
    Map<TopicPartition, Long> next = offsets(array, field, "offset", Long.MAX_VALUE - 1,
        Set.of("topic", "partition", "offset", "metadata"));
    next.replaceAll((tp, lastProcessed) -> lastProcessed + 1);
    return next;
  }

  /**
   * A REST v2 commit's entries: {@link #resumeAfter}, each with its optional {@code metadata} string (Kafka's
   * OffsetAndMetadata; the coordinator bounds its size), which GET offsets answers back.
   */
  static Map<TopicPartition, OffsetCommit> commits(JsonArray array, String field) {
    Map<TopicPartition, Long> next = resumeAfter(array, field);
    Map<TopicPartition, String> metadata = new java.util.HashMap<>();
    for (int i = 0; i < array.size(); i++) { // as for the offsets, the last entry of a partition wins
      JsonObject o = (JsonObject) array.getValue(i);
      Object m = o.getValue("metadata");
      if (m != null && !(m instanceof String)) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, field + "[" + i + "].metadata must be a string"
            + " or null, got " + m);
      }
      metadata.put(new TopicPartition(o.getString("topic"), o.getInteger("partition")), (String) m);
    }
    Map<TopicPartition, OffsetCommit> out = new LinkedHashMap<>();
    next.forEach((tp, o) -> out.put(tp, new OffsetCommit(o, metadata.get(tp))));
    return out;
  }

  private static Map<TopicPartition, Long> offsets(JsonArray array, String field, String valueField, long max,
      Set<String> known) {
    Map<TopicPartition, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < array.size(); i++) {
      String where = field + "[" + i + "]";
      TopicPartition tp = topicPartition(array.getValue(i), where);
      requireKnown((JsonObject) array.getValue(i), where, known);
      Object v = ((JsonObject) array.getValue(i)).getValue(valueField);
      if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0
          || ((Number) v).longValue() > max) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, where + "." + valueField
            + " must be an integer in [0, " + max + "], got " + v);
      }
      out.put(tp, ((Number) v).longValue());
    }
    return out;
  }

  /**
   * A commit's optional fence (Kafka's OffsetCommit {@code member_id} and {@code generation_id}, as the poll answers
   * and GET assignments name them): null when the body names neither; a generation left out is -1, which a member's
   * commit never matches.
   */
  static io.sluice.api.InstanceMembership fence(JsonObject body) {
    if (!body.containsKey("member_id") && !body.containsKey("generation_id")) {
      return null;
    }
    Object member = body.getValue("member_id");
    Object generation = body.getValue("generation_id", -1);
    if (member != null && !(member instanceof String) || !(generation instanceof Integer g) || g < -1) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'member_id' must be a string or null and"
          + " 'generation_id' an integer of -1 or more, got " + member + " and " + generation);
    }
    return io.sluice.api.InstanceMembership.fence((String) member, g);
  }

  static JsonArray array(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof JsonArray array)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, Echo.quoted(field) + " must be a JSON array");
    }
    return array;
  }

  static TopicPartition topicPartition(Object element, String where) {
    if (!(element instanceof JsonObject o) || !(o.getValue("topic") instanceof String topic) || topic.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, where + " must be an object with a string 'topic'");
    }
    if (!(o.getValue("partition") instanceof Integer p) || p < 0) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, where + ".partition must be a non-negative integer");
    }
    return new TopicPartition(topic, p);
  }

  static JsonArray toJson(List<TopicPartition> tps) {
    JsonArray out = new JsonArray();
    tps.forEach(tp -> out.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())));
    return out;
  }
}
