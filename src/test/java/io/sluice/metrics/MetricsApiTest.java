package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics}, {@code /metrics/history}, {@code /metrics/replicas} and the dashboard's static files on a
 * real broker; and the same broker with {@code metrics.enable=false}.
 */
class MetricsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;

  private void start(Map<String, ?> extra) throws Exception {
    broker = Broker.builder(TestBrokers.config(dataDir, extra)).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = TestClients.web(broker.httpPort());
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    TestBrokers.close(broker);
  }

  private <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> get(String path) throws Exception {
    return await(client.get(path).send());
  }

  private void produceAndFetch(String topic, int records) throws Exception {
    assertThat(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", topic).put("partitions", 1)))
        .statusCode()).isEqualTo(201);
    JsonArray batch = new JsonArray();
    for (int i = 0; i < records; i++) {
      batch.add(new JsonObject().put("value", "v" + i));
    }
    assertThat(await(client.post("/topics/" + topic + "/partitions/0").putHeader("Content-Type", "application/json")
        .sendJsonObject(new JsonObject().put("records", batch))).statusCode()).isEqualTo(200);
    assertThat(await(client.get("/topics/" + topic + "/partitions/0/records?offset=0&timeout=0")
        .putHeader("Accept", "application/json").send()).statusCode()).isEqualTo(200);
  }

  private static double value(String text, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    assertThat(m.find()).as("%s in\n%s", series, text).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void metricsCountTrafficPerPartitionAndDescribeTheBrokerAndTheJvm() throws Exception {
    start(Map.of());
    produceAndFetch("orders", 5);
    HttpResponse<Buffer> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/plain; version=0.0.4");
    String text = r.bodyAsString();
    String tp = "{partition=\"0\",topic=\"orders\"}";
    assertThat(value(text, "sluice_partition_incoming_records_total" + tp)).isEqualTo(5);
    assertThat(value(text, "sluice_partition_outgoing_records_total" + tp)).isEqualTo(5);
    assertThat(value(text, "sluice_partition_incoming_bytes_total" + tp)).isPositive();
    assertThat(value(text, "sluice_partition_log_end_offset" + tp)).isEqualTo(5);
    assertThat(value(text, "sluice_partition_log_size_bytes" + tp))
        .isEqualTo(value(text, "sluice_partition_incoming_bytes_total" + tp));
    assertThat(value(text, "sluice_request_latency_seconds_count{request=\"produce\"}")).isGreaterThanOrEqualTo(1);
    assertThat(text).contains("sluice_request_latency_seconds{request=\"fetch\",quantile=\"0.99\"}");
    assertThat(value(text, "sluice_partitions_under_replicated")).isZero();
    assertThat(value(text, "sluice_partitions_offline")).isZero();
    assertThat(value(text, "sluice_http_connections")).isPositive();
    assertThat(text).contains("sluice_isr_shrinks_total", "sluice_leader_elections_total", "jvm_memory_used_bytes",
        "process_cpu_usage", "sluice_websocket_sessions");
  }

  @Test
  void historyRecordsThroughputPerTopicAndTheClusterViewMergesIt() throws Exception {
    start(Map.of(BrokerConfig.METRICS_HISTORY_INTERVAL_MS, 200));
    produceAndFetch("orders", 3);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject history;
    do {
      history = get("/metrics/history?scope=local").bodyAsJsonObject();
    } while (sum(history, "topic.in.records/orders") == 0 && System.nanoTime() < deadline);
    assertThat(sum(history, "topic.in.records/orders")).isPositive();
    JsonObject cluster = get("/metrics/history").bodyAsJsonObject();
    assertThat(cluster.getJsonArray("brokers")).containsExactly(broker.brokerId());
    assertThat(cluster.getJsonObject("series").fieldNames()).contains("topic.in.records/orders",
        "broker.produce.rate/" + broker.brokerId());
    long last = history.getJsonArray("times").getLong(history.getJsonArray("times").size() - 1);
    assertThat(get("/metrics/history?scope=local&since=" + last).bodyAsJsonObject().getJsonArray("times"))
        .allSatisfy(t -> assertThat((Long) t).isGreaterThan(last));
    JsonArray replicas = get("/metrics/replicas?topic=orders").bodyAsJsonArray();
    assertThat(replicas).hasSize(1);
    assertThat(replicas.getJsonObject(0).getLong("log_end_offset")).isEqualTo(3);
    assertThat(replicas.getJsonObject(0).getLong("size_bytes")).isPositive();
  }

  private static double sum(JsonObject history, String series) {
    JsonArray values = history.getJsonObject("series").getJsonArray(series);
    double total = 0;
    for (int i = 0; values != null && i < values.size(); i++) {
      total += values.getValue(i) == null ? 0 : ((Number) values.getValue(i)).doubleValue();
    }
    return total;
  }

  @Test
  void webSocketAndEventStreamSessionsAreCountedWhileOpen() throws Exception {
    start(Map.of());
    produceAndFetch("orders", 1);
    io.vertx.core.http.WebSocketClient ws = broker.vertx().createWebSocketClient();
    io.vertx.core.http.WebSocket socket = await(ws.connect(broker.httpPort(), "127.0.0.1",
        "/ws/consume?topic=orders&partition=0&offset=0"));
    awaitGauge("sluice_websocket_sessions", 1);
    io.vertx.core.http.HttpClient http = broker.vertx().createHttpClient();
    io.vertx.core.http.HttpClientResponse events = await(http.request(io.vertx.core.http.HttpMethod.GET,
        broker.httpPort(), "127.0.0.1", "/topics/orders/partitions/0/events").compose(r -> r.send()));
    assertThat(events.statusCode()).isEqualTo(200);
    awaitGauge("sluice_sse_sessions", 1);
    await(socket.close());
    awaitGauge("sluice_websocket_sessions", 0);
    await(http.close());
    awaitGauge("sluice_sse_sessions", 0);
    await(ws.close());
  }

  private void awaitGauge(String name, double expected) {
    Awaitility.await(name).atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(value(get("/metrics").bodyAsString(), name)).as(name).isEqualTo(expected));
  }

  @Test
  void badParametersAreClearErrors() throws Exception {
    start(Map.of());
    HttpResponse<Buffer> scope = get("/metrics/history?scope=everywhere");
    assertThat(scope.statusCode()).isEqualTo(400);
    assertThat(scope.bodyAsJsonObject().getInteger("error_code")).isEqualTo(10002);
    assertThat(scope.bodyAsJsonObject().getString("message")).contains("scope");
    assertThat(get("/metrics/history/events?since=yesterday").statusCode()).isEqualTo(400);
  }

  @Test
  void withMetricsOffNothingIsCountedAndTheRoutesSaySo() throws Exception {
    start(Map.of(BrokerConfig.METRICS_ENABLE, false));
    produceAndFetch("orders", 2);
    for (String path : new String[] {"/metrics", "/metrics/history", "/metrics/replicas"}) {
      HttpResponse<Buffer> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.bodyAsJsonObject().getString("message")).contains("metrics.enable=false");
    }
    assertThat(get("/").statusCode()).as("the dashboard is still served").isEqualTo(200);
  }

  @Test
  void theDashboardIsServedWithASecurityPolicyAndItsChartLibraryFromAWebJar() throws Exception {
    start(Map.of());
    HttpResponse<Buffer> index = get("/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.getHeader("Content-Type")).startsWith("text/html");
    assertThat(index.getHeader("Content-Security-Policy")).contains("default-src 'self'", "script-src 'self'",
        "frame-ancestors 'none'");
    assertThat(index.getHeader("Cache-Control")).isEqualTo("no-cache");
    assertThat(index.bodyAsString()).contains("/js/app.js", "/webjars/uplot/dist/uPlot.iife.min.js");
    HttpResponse<Buffer> module = get("/js/app.js");
    assertThat(module.getHeader("Content-Type")).contains("javascript");
    HttpResponse<Buffer> uplot = get("/webjars/uplot/dist/uPlot.iife.min.js");
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.bodyAsString()).contains("uPlot");
    String etag = uplot.getHeader("ETag");
    assertThat(await(client.get("/webjars/uplot/dist/uPlot.iife.min.js").putHeader("If-None-Match", etag).send())
        .statusCode()).isEqualTo(304);
    HttpResponse<Buffer> missing = get("/no/such/page.js");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.bodyAsJsonObject().getInteger("error_code")).isNotNull();
    assertThat(get("/webjars/nosuchlib/x.js").statusCode()).isEqualTo(404);
    assertThat(get("/topics").bodyAsJsonArray()).as("API routes still win over the dashboard's").isNotNull();
  }

  @Test
  void theDashboardCanBeTurnedOff() throws Exception {
    start(Map.of(BrokerConfig.DASHBOARD_ENABLE, false));
    assertThat(get("/").statusCode()).isEqualTo(404);
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
  }
}
