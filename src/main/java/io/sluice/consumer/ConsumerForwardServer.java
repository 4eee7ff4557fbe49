package io.sluice.consumer;

import io.sluice.api.ConsumerService;
import io.sluice.api.GroupService;
import io.sluice.api.PolledBatches;
import io.sluice.api.TransactionService;
import io.sluice.broker.rpc.BrokerRpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;

/**
 * Serves the {@link ConsumerService} and {@link GroupService} calls other brokers route here
 * ({@link CoordinatorRouter}) against this broker's local services, never routing them again: a group this broker
 * does not coordinate fails NOT_COORDINATOR and the sender looks the coordinator up again. Addresses
 * {@code sluice.broker.<id>.consumer} and {@code sluice.broker.<id>.groups}.
 */
public final class ConsumerForwardServer {
  private final Vertx vertx;
  private final int brokerId;
  private final ConsumerService local;
  private final GroupService groups;
  private MessageConsumer<?> consumer;
  private MessageConsumer<?> groupsConsumer;
  private final TransactionService transactions;
  private MessageConsumer<?> transactionsConsumer;

  public ConsumerForwardServer(Vertx vertx, int brokerId, ConsumerService local, GroupService groups) {
    this(vertx, brokerId, local, groups, null);
  }

  /** With {@code transactions}, also the transaction coordinator's endpoint. */
  public ConsumerForwardServer(Vertx vertx, int brokerId, ConsumerService local, GroupService groups,
      TransactionService transactions) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.local = local;
    this.groups = groups;
    this.transactions = transactions;
  }

  /** The event-bus address of broker {@code brokerId}'s transaction coordinator endpoint. */
  public static String transactionsAddress(int brokerId) {
    return "sluice.broker." + brokerId + ".transactions";
  }

  /** The event-bus address of broker {@code brokerId}'s consumer endpoint (dotted: see ClusterAddresses). */
  public static String address(int brokerId) {
    return "sluice.broker." + brokerId + ".consumer";
  }

  /** The event-bus address of broker {@code brokerId}'s group service endpoint. */
  public static String groupsAddress(int brokerId) {
    return "sluice.broker." + brokerId + ".groups";
  }

  public Future<Void> start() {
    BrokerRpc rpc = BrokerRpc.on(vertx);
    return rpc.serve(address(brokerId), ConsumerService.class, local, this::portable)
        .compose(c -> {
          consumer = c;
          return rpc.serve(groupsAddress(brokerId), GroupService.class, groups, Future::succeededFuture);
        })
        .compose(c -> {
          groupsConsumer = c;
          return transactions == null ? Future.<MessageConsumer<?>>succeededFuture(null) : rpc.serve(
              transactionsAddress(brokerId), TransactionService.class, transactions, Future::succeededFuture)
              .map(t -> (MessageConsumer<?>) t);
        })
        .map(c -> {
          transactionsConsumer = c;
          return null;
        });
  }

  /**
   * A batch poll's file regions (alone or with the membership) cannot cross the event bus: they are read into memory
   * here, off the event loop.
   */
  private Future<Object> portable(Object result) {
    if (result instanceof io.sluice.api.MemberRead<?> read) {
      return portable(read.read()).map(r -> new io.sluice.api.MemberRead<>(r, read.membership()));
    }
    if (result instanceof List<?> list && list.stream().anyMatch(e -> e instanceof PolledBatches p
        && !p.fetched().batches().inMemory())) {
      return vertx.executeBlocking(() -> list.stream().map(e -> e instanceof PolledBatches p ? p.inMemory() : e)
          .toList(), false);
    }
    return Future.succeededFuture(result);
  }

  public Future<Void> stop() {
    Future<Void> a = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<Void> b = groupsConsumer == null ? Future.succeededFuture() : groupsConsumer.unregister();
    Future<Void> t = transactionsConsumer == null ? Future.succeededFuture() : transactionsConsumer.unregister();
    return Future.join(a, b, t).mapEmpty();
  }
}
