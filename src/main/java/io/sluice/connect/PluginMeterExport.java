package io.sluice.connect;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.common.metrics.stats.CumulativeSum;

/**
 * Shows the worker's plugin metrics (group {@code plugins}) as Micrometer meters {@code kafka.connect.plugins.<name>}
 * while they exist. Kafka shows every {@code MetricName}, however its tag keys differ from another's of the same name
 * (a connector's metric and its task's, a plugin's own tag); Prometheus wants one set of label keys per name, so each
 * name's meters carry the union of its metrics' tag keys, a key a metric lacks shown empty (Prometheus' "no such
 * label"): a metric bringing a new key re-registers the name's others with it. Before, the later was not shown.
 */
final class PluginMeterExport {
  private static final System.Logger LOG = System.getLogger(PluginMeterExport.class.getName());
  private final MeterRegistry registry;
  private final Map<String, Named> byName = new HashMap<>();

  /** One meter name's label keys and its metrics shown. */
  private static final class Named {
    final SortedSet<String> keys = new TreeSet<>();
    final Map<KafkaMetric, Meter> shown = new IdentityHashMap<>();
  }

  PluginMeterExport(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A reporter for one Kafka {@code Metrics}: shows its plugin metrics here, hides them when it closes. */
  MetricsReporter reporter() {
    return new Reporter();
  }

  private static String meterName(KafkaMetric metric) {
    return "kafka.connect." + PluginMeters.GROUP + "." + metric.metricName().name();
  }

  private synchronized void show(KafkaMetric metric) {
    hide(metric);
    String meter = meterName(metric);
    Named named = byName.computeIfAbsent(meter, n -> new Named());
    Set<String> keys = metric.metricName().tags().keySet();
    if (!named.keys.containsAll(keys)) {
      named.keys.addAll(keys);
      // all removed before any is registered again: the registry refuses a name's second set of keys
      named.shown.values().stream().filter(java.util.Objects::nonNull).forEach(registry::remove);
      named.shown.replaceAll((m, old) -> register(meter, m, named.keys));
    }
    named.shown.put(metric, register(meter, metric, named.keys));
  }

  private synchronized void hide(KafkaMetric metric) {
    String meter = meterName(metric);
    Named named = byName.get(meter);
    if (named == null) {
      return;
    }
    Meter shown = named.shown.remove(metric);
    if (shown != null) {
      registry.remove(shown);
    }
    if (named.shown.isEmpty()) {
      byName.remove(meter); // its label keys start afresh with the next metric of the name
    }
  }

  /** A cumulative count or sum a counter (Prometheus {@code <name>_total}), anything else a gauge. */
  private Meter register(String meter, KafkaMetric metric, SortedSet<String> keys) {
    Map<String, String> tags = metric.metricName().tags();
    List<Tag> padded = new ArrayList<>();
    keys.forEach(k -> padded.add(Tag.of(k, tags.getOrDefault(k, ""))));
    String description = metric.metricName().description();
    try {
      return metric.isMeasurable() && metric.measurable() instanceof CumulativeSum
          ? FunctionCounter.builder(meter, metric, PluginMeterExport::value).description(description).tags(padded)
              .register(registry)
          : Gauge.builder(meter, metric, PluginMeterExport::value).description(description).tags(padded)
              .register(registry);
    } catch (IllegalArgumentException e) {
      // left: one name as a counter and a gauge (Prometheus names them apart only by a suffix); the metric exists
      LOG.log(System.Logger.Level.WARNING, "Plugin metric " + metric.metricName() + " is not exported: "
          + e.getMessage());
      return null;
    }
  }

  /** A metric's value as a number; a non-numeric one (a string gauge) as NaN. */
  private static double value(KafkaMetric metric) {
    return metric.metricValue() instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private final class Reporter implements MetricsReporter {
    private final Set<KafkaMetric> mine = ConcurrentHashMap.newKeySet();

    @Override
    public void init(List<KafkaMetric> existing) {
      existing.forEach(this::metricChange);
    }

    @Override
    public void metricChange(KafkaMetric metric) {
      if (PluginMeters.GROUP.equals(metric.metricName().group())) {
        mine.add(metric);
        show(metric);
      }
    }

    @Override
    public void metricRemoval(KafkaMetric metric) {
      if (mine.remove(metric)) {
        hide(metric);
      }
    }

    @Override
    public void close() {
      mine.forEach(PluginMeterExport.this::hide);
      mine.clear();
    }

    @Override
    public void configure(Map<String, ?> configs) {
      // nothing to configure: the export is given
    }
  }
}
