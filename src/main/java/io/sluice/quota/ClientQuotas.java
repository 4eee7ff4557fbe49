package io.sluice.quota;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The broker's client quotas (Kafka's {@code ClientQuotaManager}): the rate of every caller that a quota applies to,
 * and how long its answer is held when it goes over. Each broker measures only the requests it receives, as each
 * Kafka broker does, so a client spread over n brokers may have n times its quota in total.
 *
 * <p>Thread-safe: HTTP server instances on several event loops record at once; each rate is locked alone.
 */
public final class ClientQuotas {
  private final int samples;
  private final long windowMs;
  private final LongSupplier clock;
  private final Map<QuotaTable.Key, Sensor> sensors = new ConcurrentHashMap<>();
  private volatile QuotaTable table = QuotaTable.EMPTY;

  /**
   * @param samples Kafka's {@code quota.window.num}
   * @param windowMs Kafka's {@code quota.window.size.seconds}, in ms
   * @param clock milliseconds (tests pass their own)
   */
  public ClientQuotas(int samples, long windowMs, LongSupplier clock) {
    this.samples = samples;
    this.windowMs = windowMs;
    this.clock = clock;
  }

  /** Whether any quota is configured: when not, callers skip everything else (the produce and fetch paths' branch). */
  public boolean active() {
    return !table.isEmpty();
  }

  public QuotaTable table() {
    return table;
  }

  /** Takes the quotas now configured; rates measured so far are kept, under their new bounds. */
  public void update(QuotaTable next) {
    table = next;
  }

  /**
   * The longest a client is held: the whole span of the samples. A request far larger than the quota (one 8 MiB body
   * against 1 KiB/s) would otherwise be held for hours, past every client's timeout; later requests are held while
   * the rate stays over.
   */
  public long maxThrottleMs() {
    return samples * windowMs;
  }

  /**
   * Adds {@code value} to the caller's rate of {@code type} and answers how long its answer is to be held (0 under the
   * quota, -1 when no quota of {@code type} applies to it).
   */
  public long record(QuotaType type, String user, String clientId, double value) {
    QuotaTable.Match match = table.match(user, clientId, type);
    if (match == null) {
      return -1;
    }
    long now = clock.getAsLong();
    Sensor sensor = sensors.computeIfAbsent(match.key(), k -> new Sensor(new SampledRate(samples, windowMs, now)));
    long throttle;
    synchronized (sensor) {
      sensor.rate.record(value, now);
      throttle = Math.min(sensor.rate.throttleMs(match.bound(), now), maxThrottleMs());
      sensor.throttleMsTotal += throttle;
    }
    return throttle;
  }

  /** Forgets the rates of callers idle for the whole span (their rate is 0): bounds memory to recent callers. */
  public void sweep() {
    long now = clock.getAsLong();
    sensors.entrySet().removeIf(e -> {
      synchronized (e.getValue()) {
        return e.getValue().rate.idle(now);
      }
    });
  }

  /** Each measured caller's rate now and the throttle time it was given in total, for the metrics. */
  public void forEachSensor(BiConsumer<QuotaTable.Key, double[]> action) {
    long now = clock.getAsLong();
    sensors.forEach((key, sensor) -> {
      double[] values;
      synchronized (sensor) {
        values = new double[] {sensor.rate.rate(now), sensor.throttleMsTotal};
      }
      action.accept(key, values);
    });
  }

  public int sensorCount() {
    return sensors.size();
  }

  private static final class Sensor {
    final SampledRate rate;
    double throttleMsTotal;

    Sensor(SampledRate rate) {
      this.rate = rate;
    }
  }
}
