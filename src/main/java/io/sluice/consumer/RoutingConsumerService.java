package io.sluice.consumer;

import io.sluice.api.BrokerService;
import io.sluice.api.CommittedOffset;
import io.sluice.api.OffsetCommit;
import io.sluice.api.ConsumedRecord;
import io.sluice.api.ConsumerService;
import io.sluice.api.GroupMembershipOperation;
import io.sluice.api.PolledBatches;
import io.sluice.api.RequestContext;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link ConsumerService} for a broker in a cluster: each call goes to its group's coordinator
 * ({@link CoordinatorRouter}, which also says how calls are retried); calls for groups coordinated here run on the
 * {@link LocalConsumerService}, the others on the coordinator's ({@link ConsumerForwardServer}), polls with their wait
 * added to the timeout. Futures complete on the caller's context. Thread-safe.
 */
public final class RoutingConsumerService implements ConsumerService {
  private static final long FORWARD_TIMEOUT_MS = CoordinatorRouter.FORWARD_TIMEOUT_MS;

  private final CoordinatorRouter router;
  private final CoordinatorRouter.Target<ConsumerService> target;

  public RoutingConsumerService(Vertx vertx, int brokerId, BrokerService service, LocalConsumerService local) {
    this(new CoordinatorRouter(vertx, brokerId, service, local::ensureOffsetsTopic), local);
  }

  RoutingConsumerService(CoordinatorRouter router, LocalConsumerService local) {
    this.router = router;
    this.target = new CoordinatorRouter.Target<>(ConsumerService.class, local, ConsumerForwardServer::address);
  }

  public void close() {
    router.close();
  }

  @Override
  public Future<String> create(RequestContext caller, String group, JsonObject settings) {
    return route(group, s -> s.create(caller, group, settings));
  }

  @Override
  public Future<JsonObject> config(RequestContext caller, String group, String name) {
    return route(group, s -> s.config(caller, group, name));
  }

  @Override
  public Future<Void> delete(RequestContext caller, String group, String name, GroupMembershipOperation operation) {
    return route(group, s -> s.delete(caller, group, name, operation));
  }

  @Override
  public Future<Void> removeStaticMember(RequestContext caller, String group, String groupInstanceId) {
    return route(group, s -> s.removeStaticMember(caller, group, groupInstanceId));
  }

  @Override
  public Future<Void> subscribe(RequestContext caller, String group, String name, Subscription subscription) {
    return route(group, s -> s.subscribe(caller, group, name, subscription));
  }

  @Override
  public Future<Subscription> subscription(RequestContext caller, String group, String name) {
    return route(group, s -> s.subscription(caller, group, name));
  }

  @Override
  public Future<Void> unsubscribe(RequestContext caller, String group, String name) {
    return route(group, s -> s.unsubscribe(caller, group, name));
  }

  @Override
  public Future<Void> assign(RequestContext caller, String group, String name, List<TopicPartition> tps) {
    return route(group, s -> s.assign(caller, group, name, tps));
  }

  @Override
  public Future<List<TopicPartition>> assignment(RequestContext caller, String group, String name) {
    return route(group, s -> s.assignment(caller, group, name));
  }

  @Override
  public Future<io.sluice.api.InstanceMembership> membership(RequestContext caller, String group, String name) {
    return route(group, s -> s.membership(caller, group, name));
  }

  @Override
  public Future<List<ConsumedRecord>> poll(RequestContext caller, String group, String name, long timeoutMs, int maxBytes, int maxRecords) {
    // A negative wait means the instance's consumer.request.timeout.ms, unknown here: allow the broker maximum.
    long wait = timeoutMs < 0 ? 60_000 : timeoutMs;
    return route(group, wait + FORWARD_TIMEOUT_MS, s -> s.poll(caller, group, name, timeoutMs, maxBytes, maxRecords));
  }

  @Override
  public Future<List<PolledBatches>> pollBatches(RequestContext caller, String group, String name, long timeoutMs,
      int maxBytes) {
    long wait = timeoutMs < 0 ? 60_000 : timeoutMs;
    return route(group, wait + FORWARD_TIMEOUT_MS, s -> s.pollBatches(caller, group, name, timeoutMs, maxBytes));
  }

  @Override
  public Future<io.sluice.api.MemberRead<List<ConsumedRecord>>> pollAsMember(RequestContext caller, String group,
      String name, long timeoutMs, int maxBytes, int maxRecords) {
    long wait = timeoutMs < 0 ? 60_000 : timeoutMs;
    return route(group, wait + FORWARD_TIMEOUT_MS,
        s -> s.pollAsMember(caller, group, name, timeoutMs, maxBytes, maxRecords));
  }

  @Override
  public Future<io.sluice.api.MemberRead<List<PolledBatches>>> pollBatchesAsMember(RequestContext caller,
      String group, String name, long timeoutMs, int maxBytes) {
    long wait = timeoutMs < 0 ? 60_000 : timeoutMs;
    return route(group, wait + FORWARD_TIMEOUT_MS, s -> s.pollBatchesAsMember(caller, group, name, timeoutMs,
        maxBytes));
  }

  @Override
  public Future<Void> heartbeat(RequestContext caller, String group, String name) {
    return route(group, s -> s.heartbeat(caller, group, name));
  }

  @Override
  public Future<Void> memberHeartbeat(RequestContext caller, String group, String name) {
    return route(group, s -> s.memberHeartbeat(caller, group, name));
  }

  @Override
  public Future<Void> commit(RequestContext caller, String group, String name,
      Map<TopicPartition, OffsetCommit> nextOffsets, io.sluice.api.InstanceMembership fence) {
    return route(group, s -> s.commit(caller, group, name, nextOffsets, fence));
  }

  @Override
  public Future<Map<TopicPartition, CommittedOffset>> committed(RequestContext caller, String group, String name,
      List<TopicPartition> tps, boolean requireStable) {
    return route(group, s -> s.committed(caller, group, name, tps, requireStable));
  }

  @Override
  public Future<Void> seek(RequestContext caller, String group, String name, Map<TopicPartition, Long> offsets) {
    return route(group, s -> s.seek(caller, group, name, offsets));
  }

  @Override
  public Future<Void> seekToTimestamp(RequestContext caller, String group, String name, Map<TopicPartition, Long> timestampsMs) {
    return route(group, s -> s.seekToTimestamp(caller, group, name, timestampsMs));
  }

  @Override
  public Future<Void> seekToBeginning(RequestContext caller, String group, String name, List<TopicPartition> tps) {
    return route(group, s -> s.seekToBeginning(caller, group, name, tps));
  }

  @Override
  public Future<Void> seekToEnd(RequestContext caller, String group, String name, List<TopicPartition> tps) {
    return route(group, s -> s.seekToEnd(caller, group, name, tps));
  }

  /** Every coordinator's groups, merged: the call goes to each broker leading some offsets topic partition. */
  @Override
  public Future<JsonArray> listGroups(RequestContext caller) {
    return router.everyCoordinator(target, s -> s.listGroups(caller)).map(parts -> {
      JsonArray merged = new JsonArray();
      parts.forEach(part -> part.forEach(merged::add));
      return merged;
    });
  }

  @Override
  public Future<JsonObject> describeGroup(RequestContext caller, String group) {
    return route(group, s -> s.describeGroup(caller, group));
  }

  @Override
  public Future<JsonArray> lags(RequestContext caller, String group) {
    return route(group, s -> s.lags(caller, group));
  }

  @Override
  public Future<JsonArray> resetOffsets(RequestContext caller, String group, JsonObject req) {
    return route(group, s -> s.resetOffsets(caller, group, req));
  }

  @Override
  public Future<JsonArray> deleteOffsets(RequestContext caller, String group, JsonObject req) {
    return route(group, s -> s.deleteOffsets(caller, group, req));
  }

  @Override
  public Future<Void> deleteGroup(RequestContext caller, String group) {
    return route(group, s -> s.deleteGroup(caller, group));
  }

  private <T> Future<T> route(String group, Function<ConsumerService, Future<T>> call) {
    return route(group, FORWARD_TIMEOUT_MS, call);
  }

  private <T> Future<T> route(String group, long timeoutMs, Function<ConsumerService, Future<T>> call) {
    return router.route(target, group, timeoutMs, call);
  }
}
