package io.sluice.broker.policy;

import io.sluice.api.CommittedOffset;
import io.sluice.api.ConsumedRecord;
import io.sluice.api.ConsumerService;
import io.sluice.api.GroupMembershipOperation;
import io.sluice.api.OffsetCommit;
import io.sluice.api.PolledBatches;
import io.sluice.api.RequestContext;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.acl.Authorizer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@link ConsumerService} listeners get when the authorizer is on. An instance is a member of its group: every
 * call on it needs Group Read; topics are checked where the instance names them (a subscription or assignment needs
 * Read on each topic, a pattern subscription Read on every topic, i.e. on the LITERAL {@code *}, since the topics it
 * will match are not known yet; a commit of explicit offsets Read on their topics), so its polls, which read only
 * those, need no per-poll topic check. Group administration is checked as {@link AuthorizingGroupService} checks it.
 */
public final class AuthorizingConsumerService implements ConsumerService {
  private static final List<String> NONE = List.of();
  private final ConsumerService delegate;
  private final Authorizer authorizer;

  public AuthorizingConsumerService(ConsumerService delegate, Authorizer authorizer) {
    this.delegate = delegate;
    this.authorizer = authorizer;
  }

  private <T> Future<T> checked(RequestContext caller, String group, AclOperation op, Collection<String> topics,
      Supplier<Future<T>> call) {
    return AuthorizingGroupService.authorized(authorizer, caller, group, op, topics, call);
  }

  private <T> Future<T> member(RequestContext caller, String group, Supplier<Future<T>> call) {
    return checked(caller, group, AclOperation.READ, NONE, call);
  }

  @Override
  public Future<String> create(RequestContext caller, String group, JsonObject settings) {
    return member(caller, group, () -> delegate.create(caller, group, settings));
  }

  @Override
  public Future<Void> delete(RequestContext caller, String group, String name, GroupMembershipOperation operation) {
    return member(caller, group, () -> delegate.delete(caller, group, name, operation));
  }

  /** Kafka's removeMembersFromConsumerGroup is a LeaveGroup, which takes Group Read. */
  @Override
  public Future<Void> removeStaticMember(RequestContext caller, String group, String groupInstanceId) {
    return member(caller, group, () -> delegate.removeStaticMember(caller, group, groupInstanceId));
  }

  @Override
  public Future<JsonObject> config(RequestContext caller, String group, String name) {
    return member(caller, group, () -> delegate.config(caller, group, name));
  }

  @Override
  public Future<Void> subscribe(RequestContext caller, String group, String name, Subscription subscription) {
    Collection<String> topics = subscription.topics() != null ? subscription.topics() : List.of(AclBinding.WILDCARD);
    return checked(caller, group, AclOperation.READ, topics,
        () -> delegate.subscribe(caller, group, name, subscription));
  }

  @Override
  public Future<Subscription> subscription(RequestContext caller, String group, String name) {
    return member(caller, group, () -> delegate.subscription(caller, group, name));
  }

  @Override
  public Future<Void> unsubscribe(RequestContext caller, String group, String name) {
    return member(caller, group, () -> delegate.unsubscribe(caller, group, name));
  }

  @Override
  public Future<Void> assign(RequestContext caller, String group, String name, List<TopicPartition> partitions) {
    return checked(caller, group, AclOperation.READ, AuthorizingGroupService.topicsOf(partitions),
        () -> delegate.assign(caller, group, name, partitions));
  }

  @Override
  public Future<List<TopicPartition>> assignment(RequestContext caller, String group, String name) {
    return member(caller, group, () -> delegate.assignment(caller, group, name));
  }

  @Override
  public Future<io.sluice.api.InstanceMembership> membership(RequestContext caller, String group, String name) {
    return member(caller, group, () -> delegate.membership(caller, group, name));
  }

  @Override
  public Future<List<ConsumedRecord>> poll(RequestContext caller, String group, String name, long timeoutMs,
      int maxBytes, int maxRecords) {
    return member(caller, group, () -> delegate.poll(caller, group, name, timeoutMs, maxBytes, maxRecords));
  }

  @Override
  public Future<List<PolledBatches>> pollBatches(RequestContext caller, String group, String name, long timeoutMs,
      int maxBytes) {
    return member(caller, group, () -> delegate.pollBatches(caller, group, name, timeoutMs, maxBytes));
  }

  @Override
  public Future<io.sluice.api.MemberRead<List<ConsumedRecord>>> pollAsMember(RequestContext caller, String group,
      String name, long timeoutMs, int maxBytes, int maxRecords) {
    return member(caller, group, () -> delegate.pollAsMember(caller, group, name, timeoutMs, maxBytes, maxRecords));
  }

  @Override
  public Future<io.sluice.api.MemberRead<List<PolledBatches>>> pollBatchesAsMember(RequestContext caller,
      String group, String name, long timeoutMs, int maxBytes) {
    return member(caller, group, () -> delegate.pollBatchesAsMember(caller, group, name, timeoutMs, maxBytes));
  }

  @Override
  public Future<Void> heartbeat(RequestContext caller, String group, String name) {
    return member(caller, group, () -> delegate.heartbeat(caller, group, name));
  }

  @Override
  public Future<Void> memberHeartbeat(RequestContext caller, String group, String name) {
    return member(caller, group, () -> delegate.memberHeartbeat(caller, group, name));
  }

  @Override
  public Future<Void> commit(RequestContext caller, String group, String name,
      Map<TopicPartition, OffsetCommit> nextOffsets, io.sluice.api.InstanceMembership fence) {
    return checked(caller, group, AclOperation.READ,
        nextOffsets == null ? NONE : AuthorizingGroupService.topicsOf(nextOffsets.keySet()),
        () -> delegate.commit(caller, group, name, nextOffsets, fence));
  }

  @Override
  public Future<Map<TopicPartition, CommittedOffset>> committed(RequestContext caller, String group, String name,
      List<TopicPartition> partitions, boolean requireStable) {
    return member(caller, group, () -> AuthorizingGroupService.describable(authorizer, caller, partitions,
        () -> delegate.committed(caller, group, name, partitions, requireStable)));
  }

  @Override
  public Future<Void> seek(RequestContext caller, String group, String name, Map<TopicPartition, Long> offsets) {
    return member(caller, group, () -> delegate.seek(caller, group, name, offsets));
  }

  @Override
  public Future<Void> seekToTimestamp(RequestContext caller, String group, String name,
      Map<TopicPartition, Long> timestampsMs) {
    return member(caller, group, () -> delegate.seekToTimestamp(caller, group, name, timestampsMs));
  }

  @Override
  public Future<Void> seekToBeginning(RequestContext caller, String group, String name,
      List<TopicPartition> partitions) {
    return member(caller, group, () -> delegate.seekToBeginning(caller, group, name, partitions));
  }

  @Override
  public Future<Void> seekToEnd(RequestContext caller, String group, String name, List<TopicPartition> partitions) {
    return member(caller, group, () -> delegate.seekToEnd(caller, group, name, partitions));
  }

  @Override
  public Future<JsonArray> listGroups(RequestContext caller) {
    return delegate.listGroups(caller).map(all -> {
      JsonArray out = new JsonArray();
      for (int i = 0; i < all.size(); i++) {
        JsonObject g = all.getJsonObject(i);
        if (authorizer.allowed(caller, ResourceType.GROUP, g.getString("group_id"), AclOperation.DESCRIBE)) {
          out.add(g);
        }
      }
      return out;
    });
  }

  @Override
  public Future<JsonObject> describeGroup(RequestContext caller, String group) {
    return checked(caller, group, AclOperation.DESCRIBE, NONE, () -> delegate.describeGroup(caller, group));
  }

  @Override
  public Future<JsonArray> lags(RequestContext caller, String group) {
    return checked(caller, group, AclOperation.DESCRIBE, NONE, () -> delegate.lags(caller, group).map(all -> {
      JsonArray out = new JsonArray();
      for (int i = 0; i < all.size(); i++) {
        if (AuthorizingGroupService.describes(authorizer, caller, all.getJsonObject(i).getString("topic"))) {
          out.add(all.getJsonObject(i));
        }
      }
      return out;
    }));
  }

  @Override
  public Future<JsonArray> resetOffsets(RequestContext caller, String group, JsonObject request) {
    return onTopics(caller, group, AclOperation.READ, request, () -> delegate.resetOffsets(caller, group, request));
  }

  @Override
  public Future<JsonArray> deleteOffsets(RequestContext caller, String group, JsonObject request) {
    return onTopics(caller, group, AclOperation.DELETE, request, () -> delegate.deleteOffsets(caller, group, request));
  }

  @Override
  public Future<Void> deleteGroup(RequestContext caller, String group) {
    return checked(caller, group, AclOperation.DELETE, NONE, () -> delegate.deleteGroup(caller, group));
  }

  /**
   * Runs a reset or offset deletion if the caller may do {@code op} on the group and Read each topic it acts on: those
   * it names, or, when it names none (a reset of every partition with commits, {@code "all": true}), every topic the
   * group has commits on (Kafka checks Read on each topic of an AlterConsumerGroupOffsets or OffsetDelete); before,
   * naming none needed no topic ACL at all.
   */
  private <T> Future<T> onTopics(RequestContext caller, String group, AclOperation op, JsonObject request,
      Supplier<Future<T>> call) {
    if (request.getValue("topics") != null || request.getValue("partitions") != null) {
      return checked(caller, group, op, topics(request), call);
    }
    return checked(caller, group, op, NONE, () -> delegate.lags(caller, group)
        .recover(t -> AuthorizingGroupService.ifUnknownGroup(t, new JsonArray()))
        .compose(lags -> AuthorizingGroupService.onCommitted(authorizer, caller, group, op, committedTopics(lags),
            call)));
  }

  private static List<String> committedTopics(JsonArray lags) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (int i = 0; i < lags.size(); i++) {
      out.add(lags.getJsonObject(i).getString("topic"));
    }
    return List.copyOf(out);
  }

  /** The topic names a reset or offset deletion names ({@code "topics"}, {@code "partitions": [{"topic"}]}). */
  private static List<String> topics(JsonObject request) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    JsonArray topics = request.getValue("topics") instanceof JsonArray a ? a : new JsonArray();
    topics.forEach(t -> out.add(String.valueOf(t)));
    JsonArray partitions = request.getValue("partitions") instanceof JsonArray a ? a : new JsonArray();
    partitions.forEach(p -> {
      if (p instanceof JsonObject o && o.getValue("topic") instanceof String t) {
        out.add(t);
      }
    });
    return List.copyOf(out);
  }
}
