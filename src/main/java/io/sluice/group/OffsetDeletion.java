package io.sluice.group;

import io.sluice.api.BrokerService;
import io.sluice.api.CommittedOffset;
import io.sluice.api.OffsetDelete;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Kafka's OffsetDelete: deletes a group's commits, so the group starts those partitions at its consumers'
 * {@code auto.offset.reset}. As Kafka, refused for the topics an active member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC:
 * the member would commit again) and for a member-assigned group with members (NON_EMPTY_GROUP: their subscriptions
 * are opaque bytes here, as Kafka's for a group not of protocol type "consumer"). Unlike Kafka, a request is done
 * whole or not at all (Kafka deletes the partitions it can and fails the others), and a partition of a topic since
 * deleted may be named while the group still has a commit on it (Kafka refuses it as unknown). Runs on the
 * coordinator context (through {@link GroupCoordinator#run}).
 */
public final class OffsetDeletion {
  private static final Set<String> FIELDS = Set.of("topics", "partitions", "all");

  private final GroupCoordinator coordinator;
  private final BrokerService service;

  OffsetDeletion(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
    this.service = coordinator.service();
  }

  Future<List<OffsetDelete.Outcome>> delete(String groupId, OffsetDelete spec) {
    requireKnown(groupId);
    Map<TopicPartition, CommittedOffset> committed = coordinator.committed(groupId);
    Future<List<TopicPartition>> asked = spec.all() ? Future.succeededFuture(new ArrayList<>(committed.keySet()))
        : spec.topics() != null ? ofTopics(spec.topics(), committed) : existing(spec.partitions(), committed);
    return asked.compose(tps -> service.listTopics(RequestContext.SELF).compose(topics -> {
      // Checked after the lookups, right before the write, so a member that joined meanwhile is seen.
      requireUnsubscribed(groupId, tps, topics);
      Map<TopicPartition, CommittedOffset> now = coordinator.committed(groupId);
      List<OffsetDelete.Outcome> out = new ArrayList<>();
      List<TopicPartition> withCommit = new ArrayList<>();
      for (TopicPartition tp : tps) {
        CommittedOffset c = now.get(tp);
        out.add(new OffsetDelete.Outcome(tp, c == null ? null : c.offset()));
        if (c != null) {
          withCommit.add(tp);
        }
      }
      return coordinator.deleteCommits(groupId, withCommit).map(out);
    }));
  }

  private void requireKnown(String groupId) {
    if (!coordinator.groupIds().contains(groupId)) {
      throw new SluiceException(ErrorCode.GROUP_ID_NOT_FOUND, "Group '" + groupId + "' does not exist");
    }
  }

  private void requireUnsubscribed(String groupId, List<TopicPartition> tps, List<String> topics) {
    Group g = coordinator.group(groupId);
    if (g.members().isEmpty()) {
      return;
    }
    if (g.isMemberAssigned()) {
      throw new SluiceException(ErrorCode.NON_EMPTY_GROUP, "Group '" + groupId + "' has " + g.members().size()
          + " active member(s) of protocol type '" + g.protocolType() + "', whose subscriptions Sluice does not"
          + " read; its offsets can be deleted only when it has none");
    }
    Set<String> subscribed = new TreeSet<>();
    g.resolvedSubscriptions(topics).values().forEach(subscribed::addAll);
    Set<String> busy = new TreeSet<>();
    tps.stream().map(TopicPartition::topic).filter(subscribed::contains).forEach(busy::add);
    if (!busy.isEmpty()) {
      throw new SluiceException(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, "Group '" + groupId + "' has active members"
          + " subscribed to " + busy + "; their offsets can be deleted once no member subscribes to them (nothing"
          + " was deleted)");
    }
  }

  /** Every partition of each topic, with the commits left on a topic since deleted; 404 for a topic with neither. */
  private Future<List<TopicPartition>> ofTopics(List<String> topics, Map<TopicPartition, CommittedOffset> c) {
    Set<TopicPartition> out = new TreeSet<>(Assignments.ORDER);
    List<Future<?>> described = new ArrayList<>();
    for (String t : new TreeSet<>(topics)) { // each topic described once, however often it is named
      List<TopicPartition> leftOver = c.keySet().stream().filter(tp -> tp.topic().equals(t)).toList();
      out.addAll(leftOver);
      described.add(service.describeTopic(RequestContext.SELF, t).<Void>map(m -> {
        for (int p = 0; p < m.partitionCount(); p++) {
          out.add(new TopicPartition(t, p));
        }
        return null;
      }).recover(e -> leftOver.isEmpty() || !(e instanceof SluiceException se
          && se.errorCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) ? Future.failedFuture(e)
          : Future.succeededFuture()));
    }
    return Future.all(described).map(v -> new ArrayList<>(out));
  }

  /** {@code tps} in order; 404 naming the first that neither exists nor has a commit. */
  private Future<List<TopicPartition>> existing(List<TopicPartition> tps, Map<TopicPartition, CommittedOffset> c) {
    Set<TopicPartition> distinct = new TreeSet<>(Assignments.ORDER);
    distinct.addAll(tps);
    List<Future<?>> checks = new ArrayList<>();
    for (TopicPartition tp : distinct) {
      if (!c.containsKey(tp)) {
        checks.add(service.describeTopic(RequestContext.SELF, tp.topic()).compose(m -> tp.partition()
            < m.partitionCount() ? Future.succeededFuture() : Future.failedFuture(new SluiceException(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + tp.topic() + "' has " + m.partitionCount()
            + " partition(s); there is no partition " + tp.partition()))));
      }
    }
    return Future.all(checks).map(v -> new ArrayList<>(distinct));
  }

  /**
   * Parses the REST API's request: {@code {"topics": [...]}}, {@code {"partitions": [{"topic", "partition"}]}} or
   * {@code {"all": true}}, exactly one.
   */
  public static OffsetDelete parse(JsonObject j) {
    for (String f : j.fieldNames()) {
      if (!FIELDS.contains(f)) {
        throw invalid("Unknown field '" + f + "'; known fields: " + new TreeSet<>(FIELDS));
      }
    }
    List<String> topics = GroupAdmin.ResetSpec.topics(j.getValue("topics"));
    List<TopicPartition> partitions = GroupAdmin.ResetSpec.partitions(j.getValue("partitions"));
    Object all = j.getValue("all", false);
    if (!(all instanceof Boolean)) {
      throw invalid("'all' must be true or false");
    }
    if ((topics != null ? 1 : 0) + (partitions != null ? 1 : 0) + ((Boolean) all ? 1 : 0) != 1) {
      throw invalid("Name the offsets to delete with exactly one of 'topics', 'partitions' or \"all\": true");
    }
    return new OffsetDelete(topics, partitions, (Boolean) all);
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_REQUEST, message);
  }
}
