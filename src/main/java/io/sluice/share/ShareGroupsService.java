package io.sluice.share;

import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpExtension;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The share groups (KIP-932) as a broker service: {@link ShareGroups} on a context of its own, its session sweep,
 * the {@code sluice-share} worker pool that decodes the records it reads, and {@code /share-groups}
 * ({@link ShareGroupsEndpoint}) on the HTTP listener.
 */
public final class ShareGroupsService implements BrokerComponent {
  static final String POOL = "sluice-share";
  static final long SWEEP_MS = 500;
  /** Bytes read from one partition per fetch (a fetch may hand out records of every partition). */
  static final int MAX_BYTES_PER_PARTITION = 1 << 20;

  private final Vertx vertx;
  private final BrokerComponent.Context context;
  private volatile ShareGroupsApi groups;
  private MessageConsumer<?> served;
  private WorkerExecutor pool;
  private long sweepTimer = -1;

  public ShareGroupsService(BrokerComponent.Context context) {
    this.vertx = context.vertx();
    this.context = context;
    context.services().extensions().add(httpExtension(v -> groups));
  }

  /** The routes alone, answering 503: for tests that list the API's routes. */
  public static HttpExtension standaloneHttpExtension() {
    return httpExtension(v -> null);
  }

  private static HttpExtension httpExtension(java.util.function.Function<Void, ShareGroupsApi> groups) {
    ShareGroupsEndpoint endpoint = new ShareGroupsEndpoint(groups);
    return new HttpExtension() {
      @Override
      public void mount(Router router, Handler<RoutingContext> jsonBody) {
        endpoint.mount(router, jsonBody);
      }
    };
  }

  static ShareGroups.Settings settings(BrokerConfig config) {
    SharePartition.Limits limits = new SharePartition.Limits(
        config.getLong(BrokerConfig.SHARE_RECORD_LOCK_DURATION_MS), config.getInt(BrokerConfig.SHARE_DELIVERY_COUNT_LIMIT),
        config.getInt(BrokerConfig.SHARE_PARTITION_MAX_RECORD_LOCKS));
    return new ShareGroups.Settings(limits, config.getLong(BrokerConfig.SHARE_SESSION_TIMEOUT_MS),
        config.getLong(BrokerConfig.SHARE_MIN_SESSION_TIMEOUT_MS), config.getLong(BrokerConfig.SHARE_MAX_SESSION_TIMEOUT_MS),
        MAX_BYTES_PER_PARTITION);
  }

  @Override
  public String name() {
    return "share groups";
  }

  @Override
  public Future<Void> start() {
    pool = vertx.createSharedWorkerExecutor(POOL, 2);
    io.vertx.core.Context own = ((VertxInternal) vertx).createEventLoopContext();
    int brokerId = context.config().brokerId();
    ShareGroups g = new ShareGroups(own, context.cluster(), new ShareReads(context.cluster(), pool),
        new ShareStateTopic(context.cluster(), pool), brokerId, settings(context.config()), System::currentTimeMillis,
        () -> ShareStateTopic.keeper(context.cluster()));
    sweepTimer = vertx.setPeriodic(SWEEP_MS, id -> g.expireSessions());
    BrokerRpc rpc = BrokerRpc.on(vertx);
    return rpc.serve(ShareRouting.address(brokerId), ShareGroupsApi.class, g, Future::succeededFuture)
        .onSuccess(consumer -> {
          served = consumer;
          groups = new ShareRouting(brokerId, context.cluster(), g, rpc);
        }).mapEmpty();
  }

  @Override
  public Future<Void> stop() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    groups = null;
    if (served != null) {
      served.unregister();
    }
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
