package io.sluice.connect;

import io.smallrye.mutiny.Uni;
import io.sluice.client.Admin;
import io.sluice.client.OffsetReset;
import io.sluice.client.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Kafka Connect's offsets API (KIP-875) for a sink, whose positions are the commits of its consumer group
 * {@code connect-<name>}: an entry moves one partition's commit, or with a null offset deletes it; a reset deletes
 * every commit of the group (Kafka Connect deletes the group). Either way the sink's consumer starts a partition
 * without a commit at its {@code auto.offset.reset}. The Unis do nothing until subscribed. Stateless.
 */
final class SinkOffsets {
  private SinkOffsets() {
  }

  /** One entry of a PATCH: {@code {"kafka_topic", "kafka_partition"}} and {@code {"kafka_offset"}} or null. */
  static Uni<Object> alter(Admin admin, String connector, JsonObject partition, JsonObject offset) {
    if (!(partition.getValue("kafka_topic") instanceof String topic)) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "A sink connector's offsets entry needs"
          + " {\"partition\": {\"kafka_topic\", \"kafka_partition\"}, \"offset\": {\"kafka_offset\"} or null}");
    }
    long p = kafkaNumber("kafka_partition", partition.getValue("kafka_partition"), Integer.MAX_VALUE);
    List<TopicPartition> tps = List.of(new TopicPartition(topic, (int) p));
    String group = SinkTaskRunner.groupId(connector);
    if (offset == null) {
      return stillSubscribed(connector, "alter", nothingToForget(admin.deleteGroupOffsets(group, tps)));
    }
    long o = kafkaNumber("kafka_offset", offset.getValue("kafka_offset"), Long.MAX_VALUE);
    return admin.resetGroupOffsets(group, OffsetReset.toOffset(o).onPartitions(tps)).map(x -> (Object) x);
  }

  /**
   * Refuses an entry whose {@code kafka_offset} is outside the partition's log, [beginning, end]: the group reset
   * would clamp it into the log and answer success (a silent change), and Kafka Connect, which stores it as given,
   * leaves the sink's consumer to find it out of range and restart the partition at its auto.offset.reset
   * (earliest): a skip asked for would become a replay of the whole partition. A null offset (forget) is not checked.
   */
  static Uni<Void> requireInLog(Admin admin, String connector, JsonObject partition, JsonObject offset) {
    if (offset == null) {
      return Uni.createFrom().voidItem();
    }
    String topic = partition.getString("kafka_topic");
    int p = (int) kafkaNumber("kafka_partition", partition.getValue("kafka_partition"), Integer.MAX_VALUE);
    long o = kafkaNumber("kafka_offset", offset.getValue("kafka_offset"), Long.MAX_VALUE);
    return admin.offsets(topic, p).map(log -> {
      if (o < log.beginningOffset() || o > log.endOffset()) {
        throw new SluiceException(ErrorCode.INVALID_REQUEST, "kafka_offset " + o + " of " + topic + "-" + p
            + " is outside the partition's log, offsets " + log.beginningOffset() + " to " + log.endOffset()
            + " (its end: the next record's offset); the offsets of connector " + connector + " were not altered");
      }
      return null;
    });
  }

  /** A DELETE: every commit of the sink's group. */
  static Uni<Object> reset(Admin admin, String connector) {
    return stillSubscribed(connector, "reset", nothingToForget(admin.deleteAllGroupOffsets(
        SinkTaskRunner.groupId(connector))));
  }

  /** A group that never committed has nothing to delete: done, so a reset is idempotent (as Kafka Connect's). */
  private static <T> Uni<Object> nothingToForget(Uni<T> delete) {
    return delete.map(x -> (Object) x).onFailure(t -> t instanceof SluiceException e
        && e.errorCode() == ErrorCode.GROUP_ID_NOT_FOUND).recoverWithItem(Map.of());
  }

  /** A member of the group still subscribes: a task not stopped yet, or the connector resumed meanwhile. */
  private static Uni<Object> stillSubscribed(String connector, String verb, Uni<Object> delete) {
    return delete.onFailure(t -> t instanceof SluiceException e
        && e.errorCode() == ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC).transform(t -> new SluiceException(
        ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, "Could not " + verb + " the offsets of connector " + connector + ": a"
        + " member of its consumer group still subscribes (a task has not stopped completely, or the connector was"
        + " resumed meanwhile); if the connector is STOPPED, retry (" + t.getMessage() + ")"));
  }

  /** An integer from 0 to {@code max}, or its decimal string, as Kafka Connect's SinkUtils reads them. */
  static long kafkaNumber(String field, Object v, long max) {
    long n;
    try {
      n = v instanceof String s ? Long.parseLong(s.trim()) : v instanceof Integer || v instanceof Long
          ? ((Number) v).longValue() : -1;
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0 || n > max) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, field + " must be an integer from 0 to " + max
          + ", not " + v);
    }
    return n;
  }
}
