package io.sluice.metrics;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.sluice.api.ConsumerService;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Takes one sample of the key series every interval and appends it to the {@link MetricsHistory}: per topic the
 * bytes and records per second in and out (from the partition counters' growth since the last sample), per request
 * kind the rate, the mean latency over the interval and the 99th percentile over the sliding minute, and per group
 * this broker coordinates the lag, in total and per partition. Runs on one context; not thread-safe.
 */
final class HistorySampler {
  private final BrokerMetrics metrics;
  private final MetricsHistory history;
  private final Map<TopicPartition, double[]> lastCounts = new HashMap<>();
  private final double[] lastProduce = new double[2];
  private final double[] lastFetch = new double[2];
  /** When the previous sample was taken; at first, when the counters started (they count from zero then). */
  private long lastSampleNanos;

  HistorySampler(BrokerMetrics metrics, MetricsHistory history, long startNanos) {
    this.metrics = metrics;
    this.history = history;
    this.lastSampleNanos = startNanos;
  }

  /**
   * Samples now, with the lags {@code lags} brings (group → "topic/partition" → lag; see {@link #lags}). Completes
   * once appended.
   */
  Future<Map<String, Map<String, Long>>> sample(long nowMs, long nowNanos, Future<Map<String, Map<String, Long>>> lags) {
    Map<String, Double> values = new TreeMap<>();
    // The first sample covers everything since the counters started: a late first tick must not swallow traffic.
    double seconds = (nowNanos - lastSampleNanos) / 1e9;
    lastSampleNanos = nowNanos;
    traffic(values, seconds);
    requests(values, "produce", metrics.produceLatency, lastProduce, seconds);
    requests(values, "fetch", metrics.fetchLatency, lastFetch, seconds);
    return lags.map(byGroup -> {
      byGroup.forEach((group, partitions) -> {
        long total = 0;
        for (Map.Entry<String, Long> e : partitions.entrySet()) {
          values.put("group.lag/" + group + "/" + e.getKey(), (double) e.getValue());
          total += e.getValue();
        }
        values.put("group.lag/" + group, (double) total);
      });
      history.append(nowMs, values);
      return byGroup;
    });
  }

  private void traffic(Map<String, Double> values, double seconds) {
    Map<String, double[]> perTopic = new HashMap<>();
    for (PartitionMeters m : metrics.partitions()) {
      double[] now = {m.bytesIn.count(), m.recordsIn.count(), m.bytesOut.count(), m.recordsOut.count()};
      double[] before = lastCounts.put(m.tp, now);
      double[] sum = perTopic.computeIfAbsent(m.tp.topic(), t -> new double[4]);
      for (int i = 0; i < 4; i++) {
        sum[i] += now[i] - (before == null ? 0 : before[i]);
      }
    }
    lastCounts.keySet().retainAll(metrics.partitions().stream().map(m -> m.tp).toList());
    if (seconds <= 0) {
      return;
    }
    String[] names = {"in.bytes", "in.records", "out.bytes", "out.records"};
    double[] totals = new double[4];
    perTopic.forEach((topic, deltas) -> {
      for (int i = 0; i < 4; i++) {
        values.put("topic." + names[i] + "/" + topic, deltas[i] / seconds);
        totals[i] += deltas[i] / seconds;
      }
    });
    for (int i = 0; i < 4; i++) {
      values.put("total." + names[i], totals[i]);
    }
  }

  private static void requests(Map<String, Double> values, String kind, Timer timer, double[] last,
      double seconds) {
    double count = timer.count();
    double totalMs = timer.totalTime(TimeUnit.MILLISECONDS);
    double requests = count - last[0];
    double timeMs = totalMs - last[1];
    last[0] = count;
    last[1] = totalMs;
    if (seconds <= 0) {
      return;
    }
    values.put("broker." + kind + ".rate", requests / seconds);
    if (requests > 0) {
      values.put("broker." + kind + ".mean_ms", timeMs / requests);
    }
    for (ValueAtPercentile p : timer.takeSnapshot().percentileValues()) {
      if (p.percentile() == 0.99 && count > 0) {
        values.put("broker." + kind + ".p99_ms", p.value(TimeUnit.MILLISECONDS));
      }
    }
  }

  /** group → "topic/partition" → lag, for the groups {@code groups} coordinates; empty on any failure. */
  static Future<Map<String, Map<String, Long>>> lags(ConsumerService groups) {
    if (groups == null) {
      return Future.succeededFuture(Map.of());
    }
    return groups.listGroups(RequestContext.SELF).compose(list -> {
      List<String> ids = new ArrayList<>();
      list.forEach(g -> ids.add(((JsonObject) g).getString("group_id")));
      List<Future<JsonArray>> all = ids.stream().map(g -> groups.lags(RequestContext.SELF, g)).toList();
      return Future.join(all).transform(ignored -> {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
          if (all.get(i).succeeded()) {
            out.put(ids.get(i), partitionLags(all.get(i).result()));
          }
        }
        return Future.succeededFuture(out);
      });
    }).otherwise(t -> Map.of());
  }

  private static Map<String, Long> partitionLags(JsonArray rows) {
    Map<String, Long> out = new TreeMap<>();
    rows.forEach(r -> {
      JsonObject row = (JsonObject) r;
      Long lag = row.getLong("lag");
      if (lag != null) {
        out.put(row.getString("topic") + "/" + row.getInteger("partition"), lag);
      }
    });
    return out;
  }
}
