package io.sluice.share;

import io.sluice.api.BrokerService;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.broker.rpc.Contexts;
import io.sluice.broker.rpc.Forwarding;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Function;

/**
 * Sends each share-group call to the broker that keeps share groups: the leader of {@code __share_group_state}'s
 * partition ({@link ShareStateTopic#keeper}, as KIP-932's share coordinator), so members
 * that reach the cluster through different brokers share one group. Calls there run on its {@link ShareGroups};
 * others cross as the same call ({@link BrokerRpc}), failures keeping their error code. Thread-safe.
 */
final class ShareRouting implements ShareGroupsApi {
  /** Above the longest fetch wait ({@link ShareGroupsEndpoint#MAX_WAIT_LIMIT_MS}) so a long poll is not cut. */
  static final long CALL_TIMEOUT_MS = ShareGroupsEndpoint.MAX_WAIT_LIMIT_MS + 30_000;

  private final int brokerId;
  private final BrokerService cluster;
  private final ShareGroupsApi local;
  private final BrokerRpc rpc;

  ShareRouting(int brokerId, BrokerService cluster, ShareGroupsApi local, BrokerRpc rpc) {
    this.brokerId = brokerId;
    this.cluster = cluster;
    this.local = local;
    this.rpc = rpc;
  }

  static String address(int brokerId) {
    return "sluice.broker." + brokerId + ".share";
  }

  private <T> Future<T> route(Function<ShareGroupsApi, Future<T>> call) {
    return Contexts.onCaller(ShareStateTopic.keeper(cluster).compose(k -> {
      int keeper = k.broker();
      return keeper == brokerId ? call.apply(local)
          : rpc.call(address(keeper), ShareGroupsApi.class, CALL_TIMEOUT_MS, call).<T>transform(ar -> ar.succeeded()
              ? Future.succeededFuture(ar.result())
              : Future.failedFuture(Forwarding.translate(ar.cause(), keeper, ErrorCode.COORDINATOR_NOT_AVAILABLE)));
    }));
  }

  @Override
  public Future<String> join(String group, List<String> topics, long sessionTimeoutMs, Boolean earliest) {
    return route(s -> s.join(group, topics, sessionTimeoutMs, earliest));
  }

  @Override
  public Future<Void> leave(String group, String member) {
    return route(s -> s.leave(group, member));
  }

  @Override
  public Future<Void> heartbeat(String group, String member) {
    return route(s -> s.heartbeat(group, member));
  }

  @Override
  public Future<List<ShareRecord>> fetch(String group, String member, int maxRecords, long maxWaitMs) {
    return route(s -> s.fetch(group, member, maxRecords, maxWaitMs));
  }

  @Override
  public Future<List<AckOutcome>> acknowledge(String group, String member, List<Ack> acks) {
    return route(s -> s.acknowledge(group, member, acks));
  }

  @Override
  public Future<ShareGroupDescription> describe(String group) {
    return route(s -> s.describe(group));
  }

  @Override
  public Future<List<String>> list() {
    return route(ShareGroupsApi::list);
  }

  @Override
  public Future<Void> delete(String group) {
    return route(s -> s.delete(group));
  }

  @Override
  public Future<List<PartitionStart>> resetOffsets(String group, String topic, String to, long offset) {
    return route(s -> s.resetOffsets(group, topic, to, offset));
  }
}
