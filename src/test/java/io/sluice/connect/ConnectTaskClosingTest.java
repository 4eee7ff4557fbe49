package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task that fails after its converters, transformations and predicates are built, before it runs, closes every one
 * of them, and their plugin metrics (KIP-877) leave {@code /metrics}: before, they stayed open and shown for good.
 */
class ConnectTaskClosingTest {
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

  /** A connector config whose task has a Monitorable value converter and counting transformation {@code counter}. */
  private static JsonObject config(Class<?> connectorClass, String counter) {
    return new JsonObject().put("connector.class", connectorClass.getName()).put("tasks.max", 1)
        .put("task.restart.max.attempts", 0)
        .put("value.converter", MeteredSourceConnector.MeteredConverter.class.getName())
        .put("transforms", "counted")
        .put("transforms.counted.type", ClosingPlugins.CountingTransformation.class.getName())
        .put("transforms.counted.counter", counter);
  }

  private void assertAllClosed(String connector, String counter) throws Exception {
    connect.awaitState(connector, 0, "FAILED");
    assertThat(ClosingPlugins.configured(counter)).as("configures").isEqualTo(1);
    assertThat(ClosingPlugins.closed(counter)).as("closes").isEqualTo(1);
    assertThat(connect.get("/metrics").body().lines().filter(l -> l.startsWith("kafka_connect_plugins_"))
        .filter(l -> l.contains("connector=\"" + connector + "\"") && l.contains("task=")).toList())
        .as("its task's plugin metrics").isEmpty();
  }

  @Test
  void aSourceTaskWhoseClassCannotBeBuiltClosesItsConvertersAndTransformations() throws Exception {
    connect.create("closing-source", config(ClosingPlugins.BrokenTaskSource.class, "source"));
    assertAllClosed("closing-source", "source");
  }

  @Test
  void aSinkTaskWhoseClassCannotBeBuiltClosesItsConvertersAndTransformations() throws Exception {
    connect.create("closing-sink", config(ClosingPlugins.BrokenTaskSink.class, "sink").put("topics", "closing-in"));
    assertAllClosed("closing-sink", "sink");
  }

  @Test
  void aTransformationThatCannotBeConfiguredClosesTheOnesBuiltBeforeIt() throws Exception {
    connect.create("closing-partial", config(MeteredSourceConnector.class, "partial").put("topic", "closing-out")
        .put("transforms", "counted,broken")
        .put("transforms.broken.type", ClosingPlugins.FailingTransformation.class.getName()));
    assertAllClosed("closing-partial", "partial");
  }
}
