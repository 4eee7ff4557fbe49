package io.sluice.consumer;

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
import io.sluice.group.LocalGroupService;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@link GroupService} listeners get: each call runs at its group's coordinator ({@link CoordinatorRouter}); a
 * join or sync, which may wait for the rest of the group up to the rebalance timeout, gets that much longer. Futures
 * complete on the caller's context. Thread-safe.
 */
public final class RoutingGroupService implements GroupService {
  private static final long FORWARD_TIMEOUT_MS = CoordinatorRouter.FORWARD_TIMEOUT_MS;

  private final CoordinatorRouter router;
  private final CoordinatorRouter.Target<GroupService> target;
  /** A join or sync waits at most the group's largest rebalance timeout, unknown here: the broker maximum. */
  private final long maxWaitMs;

  RoutingGroupService(CoordinatorRouter router, LocalGroupService local) {
    this.router = router;
    this.maxWaitMs = local.coordinator().config().maxRebalanceTimeoutMs();
    this.target = new CoordinatorRouter.Target<>(GroupService.class, local, ConsumerForwardServer::groupsAddress);
  }

  @Override
  public Future<JoinGroupResult> join(RequestContext caller, JoinGroupRequest r) {
    // A join waits up to the group's largest rebalance timeout, perhaps another member's: the broker maximum.
    return route(r.groupId(), maxWaitMs + FORWARD_TIMEOUT_MS, s -> s.join(caller, r));
  }

  @Override
  public Future<SyncGroupResult> sync(RequestContext caller, SyncGroupRequest r) {
    return route(r.groupId(), maxWaitMs + FORWARD_TIMEOUT_MS, s -> s.sync(caller, r));
  }

  @Override
  public Future<Void> heartbeat(RequestContext caller, String groupId, String memberId, int generation) {
    return route(groupId, s -> s.heartbeat(caller, groupId, memberId, generation));
  }

  @Override
  public Future<Void> leave(RequestContext caller, String groupId, String memberId) {
    return route(groupId, s -> s.leave(caller, groupId, memberId));
  }

  @Override
  public Future<Void> commit(RequestContext caller, String groupId, String memberId, int generation,
      Map<TopicPartition, OffsetCommit> offsets) {
    return route(groupId, s -> s.commit(caller, groupId, memberId, generation, offsets));
  }

  @Override
  public Future<Map<TopicPartition, CommittedOffset>> fetchOffsets(RequestContext caller, String groupId,
      List<TopicPartition> partitions) {
    return route(groupId, s -> s.fetchOffsets(caller, groupId, partitions));
  }

  /** Every coordinator's groups, merged. */
  @Override
  public Future<List<GroupListing>> list(RequestContext caller) {
    return router.everyCoordinator(target, s -> s.list(caller)).map(parts -> {
      List<GroupListing> merged = new ArrayList<>();
      parts.forEach(merged::addAll);
      return merged;
    });
  }

  @Override
  public Future<GroupDescription> describe(RequestContext caller, String groupId) {
    return route(groupId, s -> s.describe(caller, groupId));
  }

  @Override
  public Future<List<PartitionLag>> lags(RequestContext caller, String groupId) {
    return route(groupId, s -> s.lags(caller, groupId));
  }

  @Override
  public Future<List<OffsetReset.Outcome>> resetOffsets(RequestContext caller, String groupId, OffsetReset reset) {
    return route(groupId, s -> s.resetOffsets(caller, groupId, reset));
  }

  @Override
  public Future<List<OffsetDelete.Outcome>> deleteOffsets(RequestContext caller, String groupId, OffsetDelete delete) {
    return route(groupId, s -> s.deleteOffsets(caller, groupId, delete));
  }

  @Override
  public Future<Void> deleteGroup(RequestContext caller, String groupId) {
    return route(groupId, s -> s.deleteGroup(caller, groupId));
  }

  private <T> Future<T> route(String group, Function<GroupService, Future<T>> call) {
    return route(group, FORWARD_TIMEOUT_MS, call);
  }

  private <T> Future<T> route(String group, long timeoutMs, Function<GroupService, Future<T>> call) {
    return router.route(target, group, timeoutMs, call);
  }
}
