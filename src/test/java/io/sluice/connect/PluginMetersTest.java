package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.junit.jupiter.api.Test;

/**
 * Plugin metrics of one name whose tag keys differ (a connector's and its task's, or a plugin adding a tag of its
 * own) are each shown, as Kafka shows each {@code MetricName}: Prometheus wants one set of label keys per name, so a
 * missing key shows as an empty label (Prometheus' "no such label"). Before, the later one was not exported at all.
 */
class PluginMetersTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final PluginMeters meters = new PluginMeters(registry);

  private static void add(PluginMetrics metrics, String name, Map<String, String> tags, double value) {
    metrics.addMetric(metrics.metricName(name, "a test metric", new java.util.LinkedHashMap<>(tags)),
        (Measurable) (config, now) -> value);
  }

  private List<String> lines() {
    return registry.scrape().lines().filter(l -> l.startsWith("kafka_connect_plugins_")).toList();
  }

  @Test
  void aConnectorsAndItsTasksMetricOfOneNameAreBothShown() throws Exception {
    PluginMetricsImpl connector = meters.connector("c");
    PluginMetricsImpl task = meters.task("c", 0);
    add(connector, "records", Map.of(), 1);
    add(task, "records", Map.of(), 2);
    assertThat(lines()).containsExactlyInAnyOrder("kafka_connect_plugins_records{connector=\"c\",task=\"\"} 1.0",
        "kafka_connect_plugins_records{connector=\"c\",task=\"0\"} 2.0");
    task.close();
    assertThat(lines()).containsExactly("kafka_connect_plugins_records{connector=\"c\",task=\"\"} 1.0");
    connector.close();
    assertThat(lines()).isEmpty();
  }

  @Test
  void aPluginsOwnTagAddedLaterPadsTheMetricsShownBefore() throws Exception {
    PluginMetricsImpl first = meters.task("c", 0);
    PluginMetricsImpl second = meters.task("c", 1);
    add(first, "rows", Map.of(), 1);
    add(second, "rows", Map.of("table", "t"), 2);
    assertThat(lines()).containsExactlyInAnyOrder(
        "kafka_connect_plugins_rows{connector=\"c\",table=\"\",task=\"0\"} 1.0",
        "kafka_connect_plugins_rows{connector=\"c\",table=\"t\",task=\"1\"} 2.0");
    first.close();
    second.close();
    // once none is left, the name's label keys start afresh
    PluginMetricsImpl third = meters.task("c", 2);
    add(third, "rows", Map.of(), 3);
    assertThat(lines()).containsExactly("kafka_connect_plugins_rows{connector=\"c\",task=\"2\"} 3.0");
    third.close();
  }
}
