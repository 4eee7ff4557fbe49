package io.sluice.consumer;

import io.sluice.api.RequestContext;
import io.sluice.api.BrokerService;
import io.sluice.api.ConsumerService;
import io.sluice.api.GroupService;
import io.sluice.api.TransactionService;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.config.BrokerConfig;
import io.sluice.group.GroupConfig;
import io.sluice.group.GroupCoordinator;
import io.sluice.group.LocalGroupService;
import io.sluice.group.LocalTransactionService;
import io.sluice.group.TransactionConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.LongSupplier;

/**
 * The broker's group coordinator as a broker service: the coordinator of the groups whose {@code __consumer_offsets}
 * partition this broker leads, its consumer instances, the endpoint other brokers route group calls to, and the
 * {@link GroupService} and {@link ConsumerService} every listener of this broker shares ({@link #groups()},
 * {@link #consumers()}, routing each call to its group's coordinator). The consumer instances are clients of the
 * group service: members of its server-assigned groups. It runs whether or not this broker has a listener: a broker without HTTP still coordinates
 * the groups of clients connected elsewhere.
 */
public final class GroupCoordination implements BrokerComponent {
  private final LocalGroupService localGroups;
  private final LocalConsumerService local;
  private final CoordinatorRouter routes;
  private final RoutingConsumerService router;
  private final RoutingGroupService groups;
  private final RoutingTransactionService transactions;
  private final ConsumerForwardServer forwardServer;

  public GroupCoordination(BrokerComponent.Context context) {
    this(context.vertx(), context.config(), context.cluster(), System::currentTimeMillis);
  }

  /** {@code clockMs}: the coordinator's time (sessions, commit timestamps, offsets retention). */
  public GroupCoordination(Vertx vertx, BrokerConfig config, BrokerService cluster, LongSupplier clockMs) {
    GroupCoordinator coordinator = new GroupCoordinator(vertx, cluster, GroupConfig.from(config), clockMs);
    // In a cluster every group has one coordinator, the leader of its offsets topic partition; any broker routes.
    coordinator.followLeadership(config.brokerId());
    coordinator.transactionConfig(new TransactionConfig(config.getLong(BrokerConfig.TRANSACTION_MAX_TIMEOUT_MS),
        config.getLong(BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS),
        config.getLong(BrokerConfig.TRANSACTIONAL_ID_EXPIRATION_MS),
        config.getLong(BrokerConfig.TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS),
        config.getInt(BrokerConfig.TRANSACTION_MAX_PARTITIONS)));
    LocalTransactionService localTransactions = new LocalTransactionService(coordinator);
    localGroups = new LocalGroupService(coordinator);
    // The REST consumer instances are members of the group service's server-assigned groups.
    local = new LocalConsumerService(localGroups);
    routes = new CoordinatorRouter(vertx, config.brokerId(), cluster, coordinator::ensureOffsetsTopic);
    router = new RoutingConsumerService(routes, local);
    groups = new RoutingGroupService(routes, localGroups);
    transactions = new RoutingTransactionService(routes, localTransactions);
    // A transaction's end completes its offsets at each group's coordinator, wherever that is.
    coordinator.txnOffsetsCompleter((group, producer, commit) -> this.transactions.completeTxnOffsets(
        RequestContext.SELF, group, producer, commit));
    // A TxnOffsetCommit asks the id's coordinator first (KIP-890), as a partition leader does before a batch.
    RequestContext self = RequestContext.internal(config.brokerId());
    coordinator.txnOffsetsVerifier(!config.getBoolean(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE)
        ? GroupCoordinator.TxnOffsetsVerifier.NONE
        : (id, producer, group) -> this.transactions.verifyOffsets(self, id, producer, group));
    forwardServer = new ConsumerForwardServer(vertx, config.brokerId(), local, localGroups, localTransactions);
  }

  /** Every consumer instance poll's topics need the caller's Read by {@code policy}'s ACLs (authorizer on). */
  public void readsCheckedBy(BrokerService policy) {
    local.readsCheckedBy(policy);
  }

  /** The group service listeners use (a Kafka listener, streams): routes every call to its group's coordinator. */
  public GroupService groups() {
    return groups;
  }

  /** The transaction coordinator listeners use: routes every call to its transactional id's coordinator. */
  public TransactionService transactions() {
    return transactions;
  }

  /** The service listeners use: routes every call to its group's coordinator. */
  public ConsumerService consumers() {
    return router;
  }

  /** The service of the groups this broker coordinates, not routed (what this broker's metrics report). */
  public ConsumerService localGroups() {
    return local;
  }

  @Override
  public String name() {
    return "group coordinator";
  }

  @Override
  public Future<Void> start() {
    return local.start().compose(v -> forwardServer.start());
  }

  @Override
  public Future<Void> stop() {
    routes.close();
    return forwardServer.stop().transform(ar -> local.close());
  }
}
