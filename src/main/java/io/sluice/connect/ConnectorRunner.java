package io.sluice.connect;

import io.sluice.connect.Plugins.Kind;
import io.sluice.connect.Plugins.Plugin;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.sink.SinkConnectorContext;
import org.apache.kafka.connect.source.SourceConnectorContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/**
 * Runs a connector instance: starts it with its config and writes the task configs it generates ({@code
 * taskConfigs(tasks.max)}) to {@code __connect_configs} whenever they, or the connector's config, changed (so every
 * task restarts with the new converters and transformations), and again when it asks for reconfiguration.
 */
final class ConnectorRunner extends UnitRunner {
  private volatile Connector instance;
  /** What its context's {@code pluginMetrics()} answers (KIP-877): closed, its metrics removed, when it stops. */
  private volatile PluginMetricsImpl pluginMetrics;
  private volatile boolean reconfigure = true;
  private volatile Exception raised;

  ConnectorRunner(WorkerContext worker, String connector, Map<String, String> config) {
    super(worker, connector, -1, config);
  }

  /**
   * The config with {@code connector.class} as the class's full name, as a connector may load it by that key
   * (Debezium does) and an alias is the worker's convenience, not a class name.
   */
  static Map<String, String> resolvedClass(Map<String, String> config, Plugin plugin) {
    Map<String, String> out = new java.util.HashMap<>(config);
    out.put(ConnectorConfigs.CONNECTOR_CLASS, plugin.className());
    return out;
  }

  @Override
  void execute() throws Exception {
    OwnerRights.of(worker, connector); // one without an owner does not start while the authorizer is on
    Plugin plugin = worker.plugins().require(ConnectorConfigs.CONNECTOR_CLASS,
        connectorConfig.get(ConnectorConfigs.CONNECTOR_CLASS), Kind.SOURCE, Kind.SINK);
    Connector c = worker.plugins().newInstance(plugin, Connector.class);
    instance = c;
    pluginMetrics = worker.pluginMeters().connector(connector);
    try (PluginMetricsImpl closedAtStop = pluginMetrics) {
      Plugins.withLoader(plugin.loader(), () -> {
        c.initialize(plugin.kind() == Kind.SOURCE ? sourceContext() : sinkContext());
        c.start(resolvedClass(connectorConfig, plugin));
        return null;
      });
      run(plugin, c);
    }
  }

  private void run(Plugin plugin, Connector c) throws Exception {
    Boolean reportedPaused = null;
    try {
      while (!stopping) {
        if (raised != null) {
          throw raised;
        }
        if (reportedPaused == null || reportedPaused != paused) {
          reportedPaused = paused;
          worker.writeStatus(connector, -1, paused ? "PAUSED" : "RUNNING", null);
        }
        if (reconfigure) {
          reconfigure = false;
          writeTaskConfigs(plugin, c);
        }
        pause(1_000);
      }
    } finally {
      Plugins.withLoader(plugin.loader(), () -> {
        c.stop();
        return null;
      });
    }
  }

  private void writeTaskConfigs(Plugin plugin, Connector c) {
    int maxTasks = Integer.parseInt(connectorConfig.getOrDefault(ConnectorConfigs.TASKS_MAX, "1").trim());
    if (maxTasks > worker.maxTasksPerConnector()) {
      // a config stored under a higher limit: asking the connector for that many task configs could take the heap
      throw new org.apache.kafka.connect.errors.ConnectException("tasks.max is " + maxTasks + "; this worker runs at"
          + " most " + worker.maxTasksPerConnector() + " tasks per connector (connect.max.tasks.per.connector)");
    }
    List<Map<String, String>> generated = Plugins.withLoader(plugin.loader(), () -> c.taskConfigs(maxTasks));
    if (generated.size() > maxTasks) {
      // Kafka Connect fails such a connector too (tasks.max.enforce): tasks.max is the bound an operator sets
      throw new org.apache.kafka.connect.errors.ConnectException("The connector " + connector + " has generated "
          + generated.size() + " tasks, which is greater than " + maxTasks + ", the maximum number of tasks it is"
          + " configured to create");
    }
    JsonArray tasks = new JsonArray();
    for (Map<String, String> t : generated) {
      tasks.add(new JsonObject(new java.util.LinkedHashMap<>(new TreeMap<>(t))));
    }
    // Under the config lock, read to the end, and only while the connector exists: written after a delete's
    // tombstone (the delete waits for no runner) they stayed in the compacted configs topic of a deleted connector.
    try {
      worker.configLock().holding(() -> io.vertx.core.Future.fromCompletionStage(worker.state().configs.readToEnd()
          .subscribeAsCompletionStage()).compose(x -> {
            if (worker.state().config(connector) == null) {
              return io.vertx.core.Future.succeededFuture();
            }
            return io.vertx.core.Future.fromCompletionStage(writeTaskConfigs(tasks).subscribeAsCompletionStage())
                .mapEmpty();
          })).toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Timed out writing the task configs of connector " + connector, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted writing the task configs of connector " + connector, e);
    }
  }

  /** The record of the task configs, unless the stored one already holds them (no write then). */
  private io.smallrye.mutiny.Uni<?> writeTaskConfigs(JsonArray tasks) {
    String connectorJson = worker.state().configJson(connector);
    String current = worker.state().configs.get(ConnectState.tasksKey(connector));
    if (current != null) {
      JsonObject cur = new JsonObject(current);
      if (cur.getJsonArray("tasks").equals(tasks) && String.valueOf(connectorJson)
          .equals(cur.getString("connector_config"))) {
        return io.smallrye.mutiny.Uni.createFrom().voidItem();
      }
    }
    long generation = worker.state().taskGeneration(connector) + 1;
    JsonObject record = new JsonObject().put("generation", generation).put("tasks", tasks)
        .put("connector_config", connectorJson);
    return worker.state().configs.write(ConnectState.tasksKey(connector), record.encode());
  }

  @Override
  void requestStop() {
    wake();
  }

  private final class Context implements SourceConnectorContext, SinkConnectorContext {
    @Override
    public void requestTaskReconfiguration() {
      reconfigure = true;
      wake();
    }

    @Override
    public void raiseError(Exception e) {
      raised = e;
      wake();
    }

    @Override
    public PluginMetrics pluginMetrics() {
      return pluginMetrics;
    }

    @Override
    public OffsetStorageReader offsetStorageReader() {
      return new OffsetReader(worker.state(), connector);
    }
  }

  private SourceConnectorContext sourceContext() {
    return new Context();
  }

  private SinkConnectorContext sinkContext() {
    return new Context();
  }
}
