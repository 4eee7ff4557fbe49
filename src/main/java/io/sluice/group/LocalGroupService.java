package io.sluice.group;

import io.sluice.api.BrokerService;
import io.sluice.api.CommittedOffset;
import io.sluice.api.GroupDescription;
import io.sluice.api.GroupIds;
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
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@link GroupService} for the groups this broker's {@link GroupCoordinator} coordinates (others fail
 * NOT_COORDINATOR; the router in front of it sends each call to its group's coordinator). Every contract method runs
 * on the coordinator context through {@link GroupCoordinator#run}; the {@code ...Now} methods are the same operations
 * for callers already on that context (the REST consumer instances, which live beside their group), without the hop.
 */
public final class LocalGroupService implements GroupService {
  private final GroupCoordinator coordinator;
  private final BrokerService service;
  private final GroupAdmin admin;
  private final OffsetDeletion offsetDeletion;
  private final GroupDeletion groupDeletion;

  public LocalGroupService(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
    this.service = coordinator.service();
    this.admin = new GroupAdmin(coordinator);
    this.offsetDeletion = new OffsetDeletion(coordinator);
    this.groupDeletion = new GroupDeletion(coordinator);
  }

  public GroupCoordinator coordinator() {
    return coordinator;
  }

  @Override
  public Future<JoinGroupResult> join(RequestContext caller, JoinGroupRequest request) {
    try {
      GroupIds.validate(request.groupId());
      checkTimeouts(request);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return coordinator.run(request.groupId(), () -> joinNow(request, caller.clientAddress()));
  }

  private void checkTimeouts(JoinGroupRequest r) {
    GroupConfig cfg = coordinator.config();
    long ms = r.sessionTimeoutMs();
    if (ms < cfg.minSessionTimeoutMs() || ms > cfg.maxSessionTimeoutMs()) {
      throw new SluiceException(ErrorCode.INVALID_SESSION_TIMEOUT, "Session timeout " + ms + " ms is outside"
          + " [" + cfg.minSessionTimeoutMs() + ", " + cfg.maxSessionTimeoutMs() + "] ms (group.min/max.session"
          + ".timeout.ms)");
    }
    if (r.isMemberAssigned() && r.rebalanceTimeoutMs() > cfg.maxRebalanceTimeoutMs()) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "Rebalance timeout " + r.rebalanceTimeoutMs() + " ms is"
          + " above group.max.rebalance.timeout.ms (" + cfg.maxRebalanceTimeoutMs() + " ms)");
    }
  }

  /** {@link #join} on the coordinator context. */
  public Future<JoinGroupResult> joinNow(JoinGroupRequest r, String clientAddress) {
    Group g = coordinator.group(r.groupId());
    if (!r.isMemberAssigned()) {
      return joinServerAssigned(g, r);
    }
    if (r.groupInstanceId() != null) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "group.instance.id is taken by server-assigned groups"
          + " (consumer instances) only; a member-assigned join names none");
    }
    Member m = g.joinMember(r, clientAddress, coordinator.nowMs());
    if (m.awaitingJoin()) {
      return coordinator.barrier().awaitJoin(g, m.memberId());
    }
    return Future.succeededFuture(JoinBarrier.joinResult(g, m));
  }

  private Future<JoinGroupResult> joinServerAssigned(Group g, JoinGroupRequest r) {
    return awaitAssignmentNow(g.groupId(), enterServerAssignedNow(r));
  }

  /**
   * The first half of a server-assigned {@link #join}, on the coordinator context: adds a new member (empty member id)
   * or heartbeats a known one with its subscription; returns its id at once, so a caller that must not lose track of
   * its membership (a consumer instance) knows it before the rebalance, which may fail.
   */
  public String enterServerAssignedNow(JoinGroupRequest r) {
    Group g = coordinator.group(r.groupId());
    long now = coordinator.nowMs();
    String id;
    if (r.memberId().isEmpty()) {
      Member replaced = g.staticHolder(r.groupInstanceId()).orElse(null);
      Member m = g.join(r.clientId(), r.subscription(), r.sessionTimeoutMs(), r.assignor(), now, r.groupInstanceId());
      id = m.memberId();
      g.heartbeat(id, now); // before its record's write, whose failure (at once, maybe) undoes the takeover
      if (replaced != null && g.state() != GroupState.PREPARING_REBALANCE) {
        coordinator.persistStaticReplacement(g, m, replaced); // a rebalance's record would name the new member
      }
      return id;
    }
    id = r.memberId();
    g.resubscribe(id, r.subscription());
    g.heartbeat(id, now);
    return id;
  }

  /**
   * The second half, on the coordinator context: waits out the rebalance and answers with the member's assignment,
   * which it has then seen; fails UNKNOWN_MEMBER_ID if the member left meanwhile.
   */
  public Future<JoinGroupResult> awaitAssignmentNow(String groupId, String memberId) {
    Group g = coordinator.group(groupId);
    // As Kafka, a member whose join waits is alive, and its session counts from the answer: a rebalance longer than
    // the session (an offsets write under load) let the sweep expire the member it was assigning partitions to.
    g.member(memberId).ifPresent(m -> m.awaitingJoin(true));
    // Settled too: a static takeover is answered once its record is written (Kafka's storeGroup), or undone and
    // answered the write's error (before, the undone member was unknown: a consumer instance's poll answered empty).
    return coordinator.ensureRebalanced(g).compose(v -> coordinator.rebalanceSettled(groupId))
        .compose(v -> coordinator.takeoverWritten(groupId, memberId)).onComplete(ar ->
        g.member(memberId).ifPresent(m -> {
          m.awaitingJoin(false);
          m.heartbeat(coordinator.nowMs());
        })).map(v -> {
      Member m = g.member(memberId).orElseThrow(() -> new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Member "
          + memberId + " left group '" + groupId + "' during the rebalance"));
      g.acknowledge(memberId);
      return new JoinGroupResult(memberId, g.generation(), g.protocolType(), g.protocol(), "", List.of(),
          m.assignment());
    });
  }

  @Override
  public Future<SyncGroupResult> sync(RequestContext caller, SyncGroupRequest request) {
    return coordinator.run(request.groupId(), () -> {
      Group g = coordinator.group(request.groupId());
      boolean ready = g.sync(request.memberId(), request.generation(), request.assignments(), coordinator.nowMs());
      if (!ready) {
        return coordinator.barrier().awaitSync(g, request.memberId());
      }
      coordinator.barrier().settle(g); // the leader's sync answers the others
      Member m = g.member(request.memberId()).orElseThrow();
      return Future.succeededFuture(new SyncGroupResult(g.protocolType(), g.protocol(), m.memberAssignment(),
          g.isMemberAssigned() ? List.of() : m.assignment()));
    });
  }

  @Override
  public Future<Void> heartbeat(RequestContext caller, String groupId, String memberId, int generation) {
    return coordinator.run(groupId, () -> {
      coordinator.group(groupId).heartbeat(memberId, generation, coordinator.nowMs());
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> leave(RequestContext caller, String groupId, String memberId) {
    return coordinator.run(groupId, () -> leaveNow(groupId, memberId));
  }

  /** {@link #leave} on the coordinator context; the rebalance it causes runs on. */
  public Future<Void> leaveNow(String groupId, String memberId) {
    Group g = coordinator.group(groupId);
    if (!g.leave(memberId)) {
      throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in group '" + groupId
          + "'");
    }
    coordinator.ensureRebalanced(g);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> commit(RequestContext caller, String groupId, String memberId, int generation,
      Map<TopicPartition, OffsetCommit> offsets) {
    return requireExisting(offsets.keySet())
        .compose(v -> coordinator.run(groupId, () -> commitNow(groupId, memberId, generation, offsets)));
  }

  /** {@link #commit} on the coordinator context, for partitions known to exist. */
  public Future<Void> commitNow(String groupId, String memberId, int generation,
      Map<TopicPartition, OffsetCommit> offsets) {
    return coordinator.commit(groupId, memberId, generation, offsets);
  }

  /**
   * Fails UNKNOWN_TOPIC_OR_PARTITION unless every partition exists: a commit to a topic or partition that does not
   * exist would otherwise sit in the group, and in its lags, for good. Answers from the metadata snapshot.
   */
  public Future<Void> requireExisting(Set<TopicPartition> tps) {
    return requireExisting(service, tps);
  }

  static Future<Void> requireExisting(BrokerService service, Set<TopicPartition> tps) {
    Map<String, Integer> highest = new TreeMap<>();
    tps.forEach(tp -> highest.merge(tp.topic(), tp.partition(), Math::max));
    List<Future<Void>> checks = new ArrayList<>();
    highest.forEach((topic, partition) -> checks.add(service.describeTopic(RequestContext.SELF, topic).compose(m ->
        partition < m.partitionCount() ? Future.<Void>succeededFuture() : Future.failedFuture(new SluiceException(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Cannot commit an offset for partition " + partition + " of topic '"
            + topic + "': it has " + m.partitionCount() + " partition(s)")))));
    return Future.all(checks).mapEmpty();
  }

  @Override
  public Future<Map<TopicPartition, CommittedOffset>> fetchOffsets(RequestContext caller, String groupId,
      List<TopicPartition> partitions) {
    return coordinator.run(groupId, () -> Future.succeededFuture(fetchOffsetsNow(groupId, partitions)));
  }

  /**
   * {@link #fetchOffsets} on the coordinator context; with {@code requireStable}, fails UNSTABLE_OFFSET_COMMIT while
   * offsets of one of the partitions (of any when null) are pending in a transaction.
   */
  public Map<TopicPartition, CommittedOffset> fetchOffsetsNow(String groupId, List<TopicPartition> partitions,
      boolean requireStable) {
    if (requireStable) {
      Set<TopicPartition> unstable = coordinator.unstable(groupId, partitions == null ? null
          : new java.util.HashSet<>(partitions));
      if (!unstable.isEmpty()) {
        throw new SluiceException(ErrorCode.UNSTABLE_OFFSET_COMMIT, "Group '" + groupId + "' has offsets of "
            + unstable + " pending in a transaction not yet committed or aborted; retry");
      }
    }
    return fetchOffsetsNow(groupId, partitions);
  }

  /** {@link #fetchOffsets} on the coordinator context. */
  public Map<TopicPartition, CommittedOffset> fetchOffsetsNow(String groupId, List<TopicPartition> partitions) {
    Map<TopicPartition, CommittedOffset> all = coordinator.committed(groupId);
    if (partitions != null) {
      all.keySet().retainAll(new java.util.HashSet<>(partitions)); // a list's contains per key: quadratic
    }
    return all;
  }

  /** The groups of this coordinator only, once all are loaded; the router merges every coordinator's. */
  @Override
  public Future<List<GroupListing>> list(RequestContext caller) {
    return coordinator.runAllLoaded(admin::listGroups);
  }

  @Override
  public Future<GroupDescription> describe(RequestContext caller, String groupId) {
    return coordinator.run(groupId, () -> admin.describe(groupId));
  }

  @Override
  public Future<List<PartitionLag>> lags(RequestContext caller, String groupId) {
    return coordinator.run(groupId, () -> admin.lags(groupId));
  }

  @Override
  public Future<List<OffsetReset.Outcome>> resetOffsets(RequestContext caller, String groupId, OffsetReset reset) {
    return coordinator.run(groupId, () -> admin.resetOffsets(groupId, reset));
  }

  @Override
  public Future<List<OffsetDelete.Outcome>> deleteOffsets(RequestContext caller, String groupId, OffsetDelete delete) {
    return coordinator.run(groupId, () -> offsetDeletion.delete(groupId, delete));
  }

  @Override
  public Future<Void> deleteGroup(RequestContext caller, String groupId) {
    try {
      GroupIds.validate(groupId);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return coordinator.run(groupId, () -> groupDeletion.delete(groupId));
  }
}
