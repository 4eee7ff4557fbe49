package io.sluice.connect;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.internals.Plugin;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.utils.Time;

/**
 * Plugin metrics (Kafka's KIP-877) of this worker's connectors, tasks, converters, transformations and predicates:
 * Kafka's own {@link Metrics} and {@link PluginMetricsImpl} (group {@code plugins}, tagged as Kafka Connect tags them:
 * {@code connector}, {@code task}, and {@code converter} / {@code transformation} / {@code predicate}), each metric
 * shown as a Micrometer meter {@code kafka.connect.plugins.<name>} (Prometheus {@code kafka_connect_plugins_<name>}
 * at {@code GET /metrics}; a cumulative count or sum a counter) while it exists: a plugin's go when it closes (its task or connector stops).
 */
final class PluginMeters {
  static final String GROUP = "plugins";
  private static final System.Logger LOG = System.getLogger(PluginMeters.class.getName());
  private final MeterRegistry registry;

  PluginMeters(MeterRegistry registry) {
    this.registry = registry;
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
    return new Metrics(new MetricConfig(), List.of(new ToMicrometer(registry)), Time.SYSTEM);
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

  /** Mirrors each metric of group {@code plugins} as a gauge, removed with it. */
  private static final class ToMicrometer implements MetricsReporter {
    private final MeterRegistry registry;
    private final Map<MetricName, Meter> gauges = new ConcurrentHashMap<>();

    ToMicrometer(MeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public void init(List<KafkaMetric> existing) {
      existing.forEach(this::metricChange);
    }

    @Override
    public void metricChange(KafkaMetric metric) {
      MetricName name = metric.metricName();
      if (!GROUP.equals(name.group())) {
        return;
      }
      metricRemoval(metric);
      List<Tag> tags = new ArrayList<>();
      name.tags().forEach((k, v) -> tags.add(Tag.of(k, v)));
      String meter = "kafka.connect." + GROUP + "." + name.name();
      try {
        // A cumulative count or sum only grows: a counter, which Prometheus shows as <name>_total (a gauge's
        // "-total" suffix it would drop)
        gauges.put(name, metric.isMeasurable() && metric.measurable() instanceof CumulativeSum
            ? FunctionCounter.builder(meter, metric, PluginMeters::value).description(name.description()).tags(tags)
                .register(registry)
            : Gauge.builder(meter, metric, PluginMeters::value).description(name.description()).tags(tags)
                .register(registry));
      } catch (IllegalArgumentException e) {
        // Prometheus wants one set of tag keys per name: a plugin's metric clashing with another's is not shown
        LOG.log(System.Logger.Level.WARNING, "Plugin metric " + name + " is not exported: " + e.getMessage());
      }
    }

    @Override
    public void metricRemoval(KafkaMetric metric) {
      Meter gauge = gauges.remove(metric.metricName());
      if (gauge != null) {
        registry.remove(gauge);
      }
    }

    @Override
    public void close() {
      gauges.values().forEach(registry::remove);
      gauges.clear();
    }

    @Override
    public void configure(Map<String, ?> configs) {
      // nothing to configure: the registry is given
    }
  }

  /** A metric's value as a number; a non-numeric one (a string gauge) as NaN. */
  private static double value(KafkaMetric metric) {
    return metric.metricValue() instanceof Number n ? n.doubleValue() : Double.NaN;
  }
}
