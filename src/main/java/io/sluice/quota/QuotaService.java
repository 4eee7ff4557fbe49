package io.sluice.quota;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.config.BrokerConfig;
import io.sluice.api.RequestContext;
import io.sluice.http.HttpExtension;
import io.sluice.http.StreamQuota;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Client quotas (Kafka's {@code producer_byte_rate}, {@code consumer_byte_rate}, and {@code request_rate} in place of
 * {@code request_percentage}), set per user, client id or both through {@code /client-quotas}, kept in ZooKeeper and
 * enforced by every broker on the requests it receives ({@link QuotaGate}). Off (one branch per request) until a quota
 * is set.
 *
 * <p>Threads: ZooKeeper writes on the {@code sluice-quotas} pool; the gate on the HTTP event loops; the table is
 * swapped by Curator's thread.
 */
public final class QuotaService implements BrokerComponent {
  static final String POOL = "sluice-quotas";

  private final Vertx vertx;
  private final ClientQuotas quotas;
  private final MeterRegistry meters;
  private final int maxSeries;
  private WorkerExecutor pool;
  private volatile QuotaStore store;
  private long sweepTimer = -1;
  private MultiGauge rates;
  private MultiGauge throttles;

  public QuotaService(BrokerComponent.Context context) {
    this.vertx = context.vertx();
    BrokerConfig config = context.config();
    long windowMs = config.getInt(BrokerConfig.QUOTA_WINDOW_SIZE_SECONDS) * 1000L;
    this.maxSeries = config.getInt(BrokerConfig.METRICS_HISTORY_MAX_SERIES);
    // Idle callers' sensors beyond the series the gauges publish would be kept for nothing.
    this.quotas = new ClientQuotas(config.getInt(BrokerConfig.QUOTA_WINDOW_NUM), windowMs, maxSeries,
        System::currentTimeMillis);
    this.meters = context.meters();
    context.services().extensions().add(httpExtension());
  }

  @Override
  public String name() {
    return "client quotas";
  }

  ClientQuotas quotas() {
    return quotas;
  }

  /** The routes alone, with no quota and no store (alterations fail): for tests that list the API's routes. */
  public static HttpExtension standaloneHttpExtension() {
    ClientQuotas none = new ClientQuotas(11, 1_000, 0, System::currentTimeMillis); // no quota: no sensor
    QuotaEndpoint endpoint = new QuotaEndpoint(none, work -> Future.failedFuture("no quota store"));
    return new Extension(new QuotaGate(none), (router, body) -> endpoint.mount(router, body, alterations -> {
      throw new IllegalStateException("no quota store");
    }));
  }

  private HttpExtension httpExtension() {
    QuotaEndpoint endpoint = new QuotaEndpoint(quotas, this::blocking);
    return new Extension(new QuotaGate(quotas),
        (router, body) -> endpoint.mount(router, body, alterations -> store.alter(alterations)));
  }

  /** The gate and the endpoint's routes; also the listener's {@link StreamQuota}, which its streams find by type. */
  private record Extension(QuotaGate gate, HttpExtension endpoint) implements HttpExtension, StreamQuota {
    @Override
    public void mount(Router router, Handler<RoutingContext> jsonBody) {
      gate.mount(router);
      endpoint.mount(router, jsonBody);
    }

    @Override
    public boolean active() {
      return gate.active();
    }

    @Override
    public long produced(RequestContext caller, long bytes) {
      return gate.produced(caller, bytes);
    }

    @Override
    public long consumed(RequestContext caller, long bytes) {
      return gate.consumed(caller, bytes);
    }

    @Override
    public long requested(RequestContext caller) {
      return gate.requested(caller);
    }
  }

  private Future<Void> blocking(Callable<Void> work) {
    return pool.executeBlocking(work, false);
  }

  @Override
  public Future<Void> start() {
    pool = vertx.createSharedWorkerExecutor(POOL, 1);
    ZookeeperClusterManager cm = (ZookeeperClusterManager) ((VertxInternal) vertx).clusterManager();
    QuotaStore s = new QuotaStore(cm.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE));
    if (meters != null) {
      rates = MultiGauge.builder("sluice.client.quota.rate").description("each measured client's rate under its"
          + " quota (bytes or requests per second), by quota type, user and client id").register(meters);
      throttles = MultiGauge.builder("sluice.client.quota.throttle.time").baseUnit("milliseconds")
          .description("the time each measured client's answers were held in total").register(meters);
    }
    return blocking(() -> {
      s.start(quotas::update);
      store = s;
      return null;
    }).onSuccess(v -> sweepTimer = vertx.setPeriodic(quotas.maxThrottleMs(), id -> tick()));
  }

  /**
   * Forgets callers idle for an hour ({@link ClientQuotas#sweep}) and publishes the others' rates and throttle times,
   * the most recently measured first, at most metrics.history.max.series of them.
   */
  private void tick() {
    quotas.sweep();
    if (rates == null) {
      return;
    }
    List<MultiGauge.Row<?>> rateRows = new ArrayList<>();
    List<MultiGauge.Row<?>> throttleRows = new ArrayList<>();
    quotas.forEachSensor((key, values) -> {
      if (rateRows.size() < maxSeries) {
        Tags tags = Tags.of("type", key.type().key(), "user", key.user(), "client_id", key.clientId());
        rateRows.add(MultiGauge.Row.of(tags, values[0]));
        throttleRows.add(MultiGauge.Row.of(tags, values[1]));
      }
    });
    rates.register(rateRows, true);
    throttles.register(throttleRows, true);
  }

  @Override
  public Future<Void> stop() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    QuotaStore s = store;
    if (s != null) {
      s.close();
    }
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
