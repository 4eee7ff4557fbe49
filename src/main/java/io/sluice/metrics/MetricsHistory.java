package io.sluice.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last {@code capacity} samples of a broker's key series, in memory: one ring of sample times shared by every
 * series, and one ring of values per series (NaN where a series had no value at a sample). Bounded twice: by the
 * ring's capacity (older samples are overwritten) and by {@code maxSeries} (a series beyond it is not recorded, and
 * counted in {@link #droppedSeries()}); a series whose every value has aged out is forgotten.
 *
 * <p>Series names say how brokers' values combine in the cluster view ({@link ClusterHistory}): {@code total.*}
 * and {@code topic.*} are summed, {@code group.*} take the largest, {@code broker.*} stay per broker.
 *
 * <p>Thread-safe (synchronized): one sampler appends, HTTP handlers on other event loops read.
 */
final class MetricsHistory {
  private final int capacity;
  private final int maxSeries;
  private final long[] times;
  private final Map<String, double[]> series = new LinkedHashMap<>();
  private int next;
  private int size;
  private long droppedSeries;

  MetricsHistory(int capacity, int maxSeries) {
    if (capacity < 1 || maxSeries < 0) {
      throw new IllegalArgumentException("capacity " + capacity + ", maxSeries " + maxSeries);
    }
    this.capacity = capacity;
    this.maxSeries = maxSeries;
    this.times = new long[capacity];
  }

  /** Records one sample taken at {@code timeMs}: a value per series (series absent here get NaN). */
  synchronized void append(long timeMs, Map<String, Double> values) {
    int slot = next;
    times[slot] = timeMs;
    next = (next + 1) % capacity;
    size = Math.min(size + 1, capacity);
    for (double[] ring : series.values()) {
      ring[slot] = Double.NaN;
    }
    values.forEach((name, value) -> {
      double[] ring = series.get(name);
      if (ring == null) {
        if (series.size() >= maxSeries) {
          droppedSeries++;
          return;
        }
        ring = new double[capacity];
        Arrays.fill(ring, Double.NaN);
        series.put(name, ring);
      }
      ring[slot] = value;
    });
    for (Iterator<double[]> it = series.values().iterator(); it.hasNext(); ) {
      if (allNaN(it.next())) {
        it.remove();
      }
    }
  }

  private static boolean allNaN(double[] ring) {
    for (double v : ring) {
      if (!Double.isNaN(v)) {
        return false;
      }
    }
    return true;
  }

  synchronized int seriesCount() {
    return series.size();
  }

  synchronized int sampleCount() {
    return size;
  }

  synchronized long droppedSeries() {
    return droppedSeries;
  }

  /**
   * The samples taken after {@code sinceMs}, oldest first: {@code {"times": [ms...], "series": {name: [v|null...]}}},
   * each series' array aligned with {@code times}.
   */
  synchronized JsonObject toJson(long sinceMs) {
    JsonArray timeArray = new JsonArray();
    Map<String, JsonArray> out = new LinkedHashMap<>();
    series.keySet().forEach(name -> out.put(name, new JsonArray()));
    for (int i = 0; i < size; i++) {
      int slot = (next - size + i + capacity) % capacity;
      if (times[slot] <= sinceMs) {
        continue;
      }
      timeArray.add(times[slot]);
      series.forEach((name, ring) -> out.get(name).add(Double.isNaN(ring[slot]) ? null : ring[slot]));
    }
    JsonObject seriesJson = new JsonObject();
    out.forEach(seriesJson::put);
    return new JsonObject().put("times", timeArray).put("series", seriesJson);
  }
}
