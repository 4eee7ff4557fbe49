package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin metrics (KIP-877) on a real broker: what a connector and its task register through their contexts'
 * {@code pluginMetrics()}, and a Monitorable transformation, predicate and converter through {@code
 * withPluginMetrics}, show at {@code GET /metrics} with Kafka Connect's tags, and go when the connector stops.
 */
class ConnectPluginMetricsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static ConnectTestSupport connect;

  @BeforeAll
  static void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    connect.close();
  }

  private static List<String> pluginLines() throws Exception {
    return connect.get("/metrics").body().lines().filter(l -> l.startsWith("kafka_connect_plugins_")).toList();
  }

  /** The value of the one line of {@code metric} with every label of {@code labels}; -1 if none. */
  private static double value(List<String> lines, String metric, String... labels) {
    return lines.stream().filter(l -> l.startsWith(metric + "{") && List.of(labels).stream().allMatch(l::contains))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
  }

  /** Awaits {@code condition}; a timeout names what /metrics showed of the connector. */
  private static void awaitShowing(String what, java.util.function.BooleanSupplier condition) throws Exception {
    try {
      ConnectTestSupport.await(what, condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(what + ": /metrics showed " + connect.get("/metrics").body().lines()
          .filter(l -> l.contains("metered") || l.contains("plugins")).toList(), e);
    }
  }

  @Test
  void pluginMetricsShowWithKafkasTagsAndGoWhenTheConnectorStops() throws Exception {
    String metered = MeteredSourceConnector.class.getName();
    connect.create("metered", new JsonObject().put("connector.class", metered).put("topic", "metered-out")
        .put("tasks.max", 2).put("records.max", 5).put("value.converter", metered + "$MeteredConverter")
        .put("transforms", "count").put("transforms.count.type", metered + "$MeteredTransformation")
        .put("transforms.count.predicate", "all")
        .put("predicates", "all").put("predicates.all.type", metered + "$MeteredPredicate"));
    String connector = "connector=\"metered\"";
    awaitShowing("both tasks' records", () -> {
      try {
        List<String> lines = connect.get("/metrics").body().lines().toList();
        return value(lines, "sluice_connect_source_records_written_total", connector, "task=\"0\"") == 5
            && value(lines, "sluice_connect_source_records_written_total", connector, "task=\"1\"") == 5;
      } catch (Exception e) {
        return false;
      }
    });
    List<String> lines = pluginLines();
    for (String task : List.of("task=\"0\"", "task=\"1\"")) {
      // Each task's own: both add a sensor "polls", which must not be one sensor counting both tasks' polls
      assertThat(value(lines, "kafka_connect_plugins_polls_total", connector, task)).as(task).isEqualTo(5);
      assertThat(value(lines, "kafka_connect_plugins_applied", connector, task, "transformation=\"count\""))
          .as(task).isEqualTo(5);
      assertThat(value(lines, "kafka_connect_plugins_tested", connector, task, "predicate=\"all\"")).as(task)
          .isEqualTo(5);
      assertThat(value(lines, "kafka_connect_plugins_converted", connector, task, "converter=\"value\""))
          .as(task).isEqualTo(5);
    }
    assertThat(value(lines, "kafka_connect_plugins_starts_total", connector)).isEqualTo(1);
    assertThat(lines).filteredOn(l -> l.startsWith("kafka_connect_plugins_starts_total{"))
        .singleElement().asString().doesNotContain("task=");

    assertThat(connect.send("PUT", "/connectors/metered/stop", null).status()).isEqualTo(202);
    awaitShowing("the metrics to go", () -> {
      try {
        return pluginLines().stream().noneMatch(l -> l.contains(connector));
      } catch (Exception e) {
        return false;
      }
    });
  }
}
