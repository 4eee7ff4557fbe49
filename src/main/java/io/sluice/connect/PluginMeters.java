package io.sluice.connect;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.internals.Plugin;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.common.utils.Time;

/**
 * Plugin metrics (Kafka's KIP-877) of this worker's connectors, tasks, converters, transformations and predicates:
 * Kafka's own {@link Metrics} and {@link PluginMetricsImpl} (group {@code plugins}, tagged as Kafka Connect tags them:
 * {@code connector}, {@code task}, and {@code converter} / {@code transformation} / {@code predicate}), each metric
 * shown as a Micrometer meter {@code kafka.connect.plugins.<name>} (Prometheus {@code kafka_connect_plugins_<name>}
 * at {@code GET /metrics}; {@link PluginMeterExport}) while it exists: a plugin's go when it closes (its task or
 * connector stops).
 */
final class PluginMeters {
  static final String GROUP = "plugins";
  private static final System.Logger LOG = System.getLogger(PluginMeters.class.getName());
  private final PluginMeterExport export;

  PluginMeters(MeterRegistry registry) {
    this.export = new PluginMeterExport(registry);
  }

  /** A connector's (its context's {@code pluginMetrics()}); closing it removes its metrics. */
  PluginMetricsImpl connector(String connector) {
    return owned(tags(connector, -1));
  }

  /** A task's (its context's {@code pluginMetrics()}). */
  PluginMetricsImpl task(String connector, int task) {
    return owned(tags(connector, task));
  }

  /**
   * Each plugin has Kafka {@link Metrics} of its own: a sensor's name is global to its {@code Metrics}, so two tasks
   * (or two transformations of a task) adding a sensor of one name would otherwise share it, counting each other's
   * records, and the first to close would remove the other's metrics.
   */
  private PluginMetricsImpl owned(Map<String, String> tags) {
    Metrics metrics = metrics();
    return new PluginMetricsImpl(metrics, tags) {
      @Override
      public void close() throws java.io.IOException {
        try {
          super.close();
        } finally {
          metrics.close();
        }
      }
    };
  }

  private Metrics metrics() {
    return new Metrics(new MetricConfig(), List.of(export.reporter()), Time.SYSTEM);
  }

  /**
   * {@code instance} given its metrics if it is {@code Monitorable}, tagged with its unit and {@code kind} ({@code
   * converter}, {@code transformation}, {@code predicate}) = {@code name} (the converter's role, the alias); closing
   * what this answers closes the instance and removes its metrics.
   */
  AutoCloseable wrap(Object instance, String connector, int task, String kind, String name) {
    Map<String, String> tags = tags(connector, task);
    tags.put(kind, name);
    Metrics metrics = metrics();
    Plugin<Object> plugin = Plugin.wrapInstance(instance, metrics, () -> tags);
    return () -> {
      try {
        plugin.close();
      } finally {
        metrics.close();
      }
    };
  }

  /**
   * Where a task's converters, transformations and predicates report their metrics; {@code closer} closes each one
   * wrapped with the task's execution.
   */
  record Scope(PluginMeters meters, String connector, int task, TaskCloser closer) {
    /** Gives {@code instance} its metrics; it is closed (quietly, as Kafka closes them) with the task. */
    void wrap(Object instance, String kind, String name) {
      AutoCloseable wrapped = meters.wrap(instance, connector, task, kind, name);
      closer.add(() -> {
        try {
          wrapped.close();
        } catch (Exception e) {
          LOG.log(System.Logger.Level.WARNING, "Closing " + kind + " " + name + " of " + connector + "-" + task
              + " failed", e);
        }
      });
    }
  }

  private static Map<String, String> tags(String connector, int task) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("connector", connector);
    if (task >= 0) {
      tags.put("task", Integer.toString(task));
    }
    return tags;
  }
}
