package io.sluice.broker.policy;

import io.sluice.api.CommittedOffset;
import io.sluice.api.GroupDescription;
import io.sluice.api.GroupListing;
import io.sluice.api.GroupService;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.JoinGroupResult;
import io.sluice.api.OffsetCommit;
import io.sluice.api.OffsetDelete;
import io.sluice.api.OffsetReset;
import io.sluice.api.PartitionLag;
import io.sluice.api.RequestContext;
import io.sluice.api.SyncGroupRequest;
import io.sluice.api.SyncGroupResult;
import io.sluice.api.TopicPartition;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.acl.Authorizer;
import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@link GroupService} listeners get when the authorizer is on, with Kafka's mapping: membership and commits need
 * Group Read (commits also Read on each topic), offset fetches, descriptions and lags Group Describe, deletions Group
 * Delete; the group listing leaves out the groups the caller may not describe, offset fetches and lags the topics it
 * may not describe. Thread-safe.
 */
public final class AuthorizingGroupService implements GroupService {
  private final GroupService delegate;
  private final Authorizer authorizer;

  public AuthorizingGroupService(GroupService delegate, Authorizer authorizer) {
    this.delegate = delegate;
    this.authorizer = authorizer;
  }

  /**
   * Runs {@code call} if the caller may do {@code op} on the group (and Read on {@code topics}); the group and consumer
   * services' one rule.
   */
  static <T> Future<T> authorized(Authorizer authorizer, RequestContext caller, String group, AclOperation op,
      Collection<String> topics, Supplier<Future<T>> call) {
    try {
      authorizer.check(caller, ResourceType.GROUP, group, op);
      for (String t : topics) {
        authorizer.check(caller, ResourceType.TOPIC, t, AclOperation.READ);
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return call.get();
  }

  private <T> Future<T> checked(RequestContext caller, String group, AclOperation op, Collection<String> topics,
      Supplier<Future<T>> call) {
    return authorized(authorizer, caller, group, op, topics, call);
  }

  static List<String> topicsOf(Collection<TopicPartition> partitions) {
    return partitions == null ? List.of() : partitions.stream().map(TopicPartition::topic).distinct().toList();
  }

  @Override
  public Future<JoinGroupResult> join(RequestContext caller, JoinGroupRequest request) {
    return checked(caller, request.groupId(), AclOperation.READ, List.of(), () -> delegate.join(caller, request));
  }

  @Override
  public Future<SyncGroupResult> sync(RequestContext caller, SyncGroupRequest request) {
    return checked(caller, request.groupId(), AclOperation.READ, List.of(), () -> delegate.sync(caller, request));
  }

  @Override
  public Future<Void> heartbeat(RequestContext caller, String groupId, String memberId, int generation) {
    return checked(caller, groupId, AclOperation.READ, List.of(),
        () -> delegate.heartbeat(caller, groupId, memberId, generation));
  }

  @Override
  public Future<Void> leave(RequestContext caller, String groupId, String memberId) {
    return checked(caller, groupId, AclOperation.READ, List.of(), () -> delegate.leave(caller, groupId, memberId));
  }

  @Override
  public Future<Void> commit(RequestContext caller, String groupId, String memberId, int generation,
      Map<TopicPartition, OffsetCommit> offsets) {
    return checked(caller, groupId, AclOperation.READ, topicsOf(offsets.keySet()),
        () -> delegate.commit(caller, groupId, memberId, generation, offsets));
  }

  @Override
  public Future<Map<TopicPartition, CommittedOffset>> fetchOffsets(RequestContext caller, String groupId,
      List<TopicPartition> partitions) {
    return checked(caller, groupId, AclOperation.DESCRIBE, List.of(), () -> describable(authorizer, caller,
        partitions, () -> delegate.fetchOffsets(caller, groupId, partitions)));
  }

  /**
   * Kafka's OffsetFetch: a topic named needs Describe (refused whole here, where Kafka fails that topic's partitions),
   * and when none is named the answer leaves out the topics the caller may not Describe; before, Group Describe alone
   * showed the commits (and so the names) of every topic the group read.
   */
  static <V> Future<Map<TopicPartition, V>> describable(Authorizer authorizer, RequestContext caller,
      List<TopicPartition> named, Supplier<Future<Map<TopicPartition, V>>> call) {
    try {
      for (String t : topicsOf(named)) {
        authorizer.check(caller, ResourceType.TOPIC, t, AclOperation.DESCRIBE);
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return call.get().map(all -> {
      Map<TopicPartition, V> out = new java.util.LinkedHashMap<>();
      all.forEach((tp, v) -> {
        if (describes(authorizer, caller, tp.topic())) {
          out.put(tp, v);
        }
      });
      return out;
    });
  }

  static boolean describes(Authorizer authorizer, RequestContext caller, String topic) {
    return authorizer.allowed(caller, ResourceType.TOPIC, topic, AclOperation.DESCRIBE);
  }

  @Override
  public Future<List<GroupListing>> list(RequestContext caller) {
    return delegate.list(caller).map(all -> all.stream()
        .filter(g -> authorizer.allowed(caller, ResourceType.GROUP, g.groupId(), AclOperation.DESCRIBE)).toList());
  }

  @Override
  public Future<GroupDescription> describe(RequestContext caller, String groupId) {
    return checked(caller, groupId, AclOperation.DESCRIBE, List.of(), () -> delegate.describe(caller, groupId));
  }

  @Override
  public Future<List<PartitionLag>> lags(RequestContext caller, String groupId) {
    return checked(caller, groupId, AclOperation.DESCRIBE, List.of(), () -> delegate.lags(caller, groupId)
        .map(all -> all.stream().filter(l -> describes(authorizer, caller, l.partition().topic())).toList()));
  }

  /** Kafka's AlterConsumerGroupOffsets: Group Read, and Read on each topic named. */
  @Override
  public Future<List<OffsetReset.Outcome>> resetOffsets(RequestContext caller, String groupId, OffsetReset reset) {
    List<String> topics = new java.util.ArrayList<>(reset.topics() == null ? List.of() : reset.topics());
    topics.addAll(topicsOf(reset.partitions()));
    if (reset.topics() == null && reset.partitions() == null) {
      return checked(caller, groupId, AclOperation.READ, List.of(), () -> committedTopics(caller, groupId)
          .compose(all -> onCommitted(authorizer, caller, groupId, AclOperation.READ, all,
              () -> delegate.resetOffsets(caller, groupId, reset))));
    }
    return checked(caller, groupId, AclOperation.READ, topics, () -> delegate.resetOffsets(caller, groupId, reset));
  }

  /** Kafka's OffsetDelete: Group Delete, and Read on each topic named. */
  @Override
  public Future<List<OffsetDelete.Outcome>> deleteOffsets(RequestContext caller, String groupId, OffsetDelete delete) {
    List<String> topics = new java.util.ArrayList<>(delete.topics() == null ? List.of() : delete.topics());
    topics.addAll(topicsOf(delete.partitions()));
    if (delete.all()) {
      return checked(caller, groupId, AclOperation.DELETE, List.of(), () -> committedTopics(caller, groupId)
          .compose(all -> onCommitted(authorizer, caller, groupId, AclOperation.DELETE, all,
              () -> delegate.deleteOffsets(caller, groupId, delete))));
    }
    return checked(caller, groupId, AclOperation.DELETE, topics, () -> delegate.deleteOffsets(caller, groupId, delete));
  }

  /**
   * The topics a group has commits on, which a reset or deletion naming none acts on, so each needs Read (Kafka checks
   * Read on every topic of AlterConsumerGroupOffsets and OffsetDelete); an unknown group has none.
   */
  private Future<List<String>> committedTopics(RequestContext caller, String groupId) {
    return delegate.lags(caller, groupId).map(lags -> lags.stream().map(l -> l.partition().topic()).distinct()
        .toList()).recover(t -> ifUnknownGroup(t, List.of()));
  }

  /**
   * {@link #authorized} for a call acting on every topic the group has commits on ({@code committed}), which the
   * caller did not name: a refusal names the topic only if the caller may Describe it, so a reset or deletion of all
   * cannot be used to learn the names of topics it may not see.
   */
  static <T> Future<T> onCommitted(Authorizer authorizer, RequestContext caller, String group, AclOperation op,
      Collection<String> committed, Supplier<Future<T>> call) {
    for (String t : committed) {
      if (!authorizer.allowed(caller, ResourceType.TOPIC, t, AclOperation.READ) && !describes(authorizer, caller, t)) {
        return Future.failedFuture(new io.sluice.errors.SluiceException(io.sluice.errors.ErrorCode
            .TOPIC_AUTHORIZATION_FAILED, caller.principal() + " is not authorized to Read every topic group '" + group
            + "' has commits on; name the topics to act on"));
      }
    }
    return authorized(authorizer, caller, group, op, committed, call);
  }

  /** {@code none} when {@code t} says the group is unknown (so it has no commits), else {@code t} again. */
  static <T> Future<T> ifUnknownGroup(Throwable t, T none) {
    return t instanceof io.sluice.errors.SluiceException e
        && e.errorCode() == io.sluice.errors.ErrorCode.GROUP_ID_NOT_FOUND
        ? Future.succeededFuture(none) : Future.failedFuture(t);
  }

  @Override
  public Future<Void> deleteGroup(RequestContext caller, String groupId) {
    return checked(caller, groupId, AclOperation.DELETE, List.of(), () -> delegate.deleteGroup(caller, groupId));
  }
}
