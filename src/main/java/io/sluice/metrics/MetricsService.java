package io.sluice.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.api.BrokerService;
import io.sluice.http.FrontEndView;
import io.sluice.http.HttpExtension;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.partition.ReplicaStats;
import io.sluice.config.BrokerConfig;
import io.sluice.api.ConsumerService;
import io.sluice.dashboard.DashboardRoutes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.web.Router;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The broker's metrics and dashboard, wired in one place: the broker creates it once its cluster role runs, gives
 * its front ends {@link #meter the metered service}, mounts {@link #httpExtensions()} on its HTTP API and
 * {@link #close closes} it before the front end goes.
 *
 * <p>With {@code metrics.enable=false} nothing is counted (the service is passed through as it is), no sampler runs
 * and the metrics routes answer 404; the dashboard is still served ({@code dashboard.enable}).
 */
public final class MetricsService {
  private static final System.Logger LOG = System.getLogger(MetricsService.class.getName());
  private static final String WORKER_POOL = "sluice-metrics";

  /** What the metrics read of the broker. */
  public record Sources(int brokerId, Supplier<MetadataSnapshot> metadata, Supplier<List<ReplicaStats>> replicas,
      BooleanSupplier activeController) {
  }

  private final Vertx vertx;
  private final BrokerConfig config;
  private final Sources sources;
  private final boolean enabled;
  private final long intervalMs;
  /** When the counters started: the history's first sample measures rates from here. */
  private final long startNanos;
  private static final MeterRegistry NO_METERS = new CompositeMeterRegistry();
  private PrometheusMeterRegistry registry;
  private BrokerMetrics metrics;
  private StateGauges state;
  private MetricsHistory history;
  private JvmGcMetrics gcMetrics;
  private WorkerExecutor workers;
  private HttpClient peers;
  /** User and password of this broker's requests to its peers (null: none, authentication off). */
  private java.util.function.Supplier<String[]> peerCredentials = () -> null;
  private ClusterHistory clusterHistory;
  private Context context;
  private long timer = -1;
  /** A sample is under way (on the sampler's context): a slow one is not overlapped by the next tick. */
  private boolean sampling;
  private final DashboardRoutes dashboard;
  private volatile FrontEndView frontEnd;
  private volatile ConsumerService localGroups;
  private volatile boolean closed;

  /** Blocks (class loading, reading the WebJars' versions): call it off the event loop. */
  public MetricsService(Vertx vertx, BrokerConfig config, Sources sources) {
    this.vertx = vertx;
    this.config = config;
    this.sources = sources;
    this.enabled = config.getBoolean(BrokerConfig.METRICS_ENABLE);
    this.intervalMs = config.getLong(BrokerConfig.METRICS_HISTORY_INTERVAL_MS);
    this.startNanos = System.nanoTime();
    this.dashboard = config.getBoolean(BrokerConfig.DASHBOARD_ENABLE) ? new DashboardRoutes() : null;
    if (enabled) {
      registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      metrics = new BrokerMetrics(registry);
      state = new StateGauges(registry, sources.brokerId());
      int capacity = (int) Math.max(1, config.getLong(BrokerConfig.METRICS_HISTORY_RETENTION_MS) / intervalMs);
      history = new MetricsHistory(capacity, config.getInt(BrokerConfig.METRICS_HISTORY_MAX_SERIES));
      bindProcessMetrics();
    }
  }

  private void bindProcessMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    frontEndGauge("sluice.http.connections", "HTTP connections open (counted against http.max.connections)",
        FrontEndView::openConnections);
    frontEndGauge("sluice.websocket.sessions", "WebSocket produce and consume sessions open",
        FrontEndView::webSocketSessions);
    frontEndGauge("sluice.sse.sessions", "Server-Sent Events streams open", FrontEndView::sseSessions);
  }

  private void frontEndGauge(String name, String help, ToIntFunction<FrontEndView> value) {
    Gauge.builder(name, this, s -> s.frontEnd == null ? 0 : value.applyAsInt(s.frontEnd)).description(help)
        .register(registry);
  }

  /** {@code service} counted on its produce and fetch paths, or itself when metrics are off. */
  /**
   * Where broker services (streams, connect) register their own meters, served at {@code GET /metrics}; with metrics
   * off, a registry that keeps nothing.
   */
  public MeterRegistry meters() {
    return registry != null ? registry : NO_METERS;
  }

  public BrokerService meter(BrokerService service) {
    return enabled ? new MeteredBrokerService(service, metrics) : service;
  }

  /** The credentials the cluster view's requests to other brokers carry while authentication is on. */
  public void peerCredentials(java.util.function.Supplier<String[]> credentials) {
    this.peerCredentials = credentials;
  }

  /**
   * Starts sampling the history every {@code metrics.history.interval.ms} and following the metadata for ISR and
   * leadership changes; {@code service} is the cluster-wide service the cluster view asks for the brokers.
   */
  public Future<Void> start(BrokerService service, Consumer<Consumer<MetadataSnapshot>> metadataListeners) {
    if (!enabled) {
      return Future.succeededFuture();
    }
    workers = vertx.createSharedWorkerExecutor(WORKER_POOL + "-" + sources.brokerId(), 1);
    HttpClientOptions peerOptions = new HttpClientOptions().setKeepAlive(true);
    if (config.ssl().http()) {
      // Peers are reached at their advertised address; the trust store's CA, not the host name, vouches for them.
      config.ssl().apply(peerOptions).setVerifyHost(false);
    }
    peers = vertx.createHttpClient(peerOptions);
    clusterHistory = new ClusterHistory(sources.brokerId(), service, history, peers, intervalMs, sources.replicas(),
        peerCredentials);
    metadataListeners.accept(snapshot -> {
      if (!closed) {
        state.onMetadata(snapshot);
      }
    });
    context = ((VertxInternal) vertx).createEventLoopContext();
    HistorySampler sampler = new HistorySampler(metrics, history, startNanos);
    context.runOnContext(v -> timer = vertx.setPeriodic(intervalMs, id -> sample(sampler)));
    return Future.succeededFuture();
  }

  private void sample(HistorySampler sampler) {
    if (closed || sampling) {
      return;
    }
    sampling = true;
    refreshState();
    metrics.retainTopics(sources.metadata().get().topics().keySet());
    FrontEndView view = frontEnd;
    sampler.sample(System.currentTimeMillis(), System.nanoTime(), boundedLags(localGroups))
        .onSuccess(state::lags)
        .onFailure(t -> LOG.log(Level.WARNING, "Metrics sample failed", t))
        .onComplete(ar -> sampling = false);
  }

  /**
   * The groups' lags, or none if they take longer than an interval: a group coordinator still loading (or stuck)
   * must not stop the history. On the sampler's context.
   */
  private Future<Map<String, Map<String, Long>>> boundedLags(ConsumerService groups) {
    Promise<Map<String, Map<String, Long>>> bounded = Promise.promise();
    long timer = vertx.setTimer(intervalMs, id -> bounded.tryComplete(Map.of()));
    HistorySampler.lags(groups).onComplete(ar -> context.runOnContext(v -> {
      vertx.cancelTimer(timer);
      bounded.tryComplete(ar.succeeded() ? ar.result() : Map.of());
    }));
    return bounded.future();
  }

  private void refreshState() {
    state.refresh(sources.replicas().get(), sources.metadata().get(), sources.activeController().getAsBoolean());
  }

  /** The group service of the groups this broker coordinates (not routed): their lags go into the history. */
  public void useLocalGroups(ConsumerService local) {
    this.localGroups = local;
  }

  /** The routes to mount on the HTTP API: the metrics, and the dashboard unless {@code dashboard.enable} is false. */
  public List<HttpExtension> httpExtensions() {
    List<HttpExtension> out = new ArrayList<>();
    MetricsRoutes routes = enabled ? new MetricsRoutes(registry, clusterHistory, workers, intervalMs,
        this::refreshState) : null;
    out.add(new HttpExtension() {
      @Override
      public void mount(Router router, io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> jsonBody) {
        MetricsRoutes.mount(router, routes, sources.brokerId());
      }

      @Override
      public Future<Void> frontEndStarted(FrontEndView view) {
        frontEnd = view;
        return Future.succeededFuture();
      }
    });
    if (dashboard != null) {
      out.add(dashboard);
    }
    return out;
  }

  /** Stops sampling and releases the registry's resources. Idempotent. */
  public Future<Void> close() {
    if (closed || !enabled) {
      closed = true;
      return Future.succeededFuture();
    }
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    gcMetrics.close();
    registry.close();
    // Started only by start(): a broker whose boot failed before it closes what exists.
    if (peers != null) {
      peers.close();
    }
    return workers != null ? workers.close() : Future.succeededFuture();
  }
}
