package io.sluice.quota;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
  /**
   * How long a caller's sensor outlives its last request: Kafka's ClientQuotaManager keeps a client's quota sensors
   * (and so its throttle-time metric) for an hour of inactivity ({@code InactiveSensorExpirationTimeSeconds}, a
   * constant in Kafka too, not a broker config).
   */
  static final long INACTIVE_SENSOR_EXPIRATION_MS = 3_600_000;
  private final int samples;
  /** The idle sensors kept at most ({@link #sweep}); a caller still measuring is never dropped for the bound. */
  private final int maxIdleSensors;
  private final long windowMs;
  private final LongSupplier clock;
  private final Map<QuotaTable.Key, Sensor> sensors = new ConcurrentHashMap<>();
  private volatile QuotaTable table = QuotaTable.EMPTY;

  /**
   * @param samples Kafka's {@code quota.window.num}
   * @param windowMs Kafka's {@code quota.window.size.seconds}, in ms
   * @param maxIdleSensors the idle callers' sensors kept at most, the longest idle dropped first: a flood of client ids
   *     is bounded by it, not by the hour (the broker passes {@code metrics.history.max.series}, the series its
   *     gauges publish at most)
   * @param clock milliseconds (tests pass their own)
   */
  public ClientQuotas(int samples, long windowMs, int maxIdleSensors, LongSupplier clock) {
    this.samples = samples;
    this.maxIdleSensors = maxIdleSensors;
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
    while (true) {
      Sensor sensor = sensors.computeIfAbsent(match.key(), k -> new Sensor(new SampledRate(samples, windowMs, now)));
      synchronized (sensor) {
        if (sensor.dropped) {
          continue; // a sweep dropped it meanwhile: what is recorded now goes to the caller's next sensor
        }
        sensor.rate.record(value, now);
        sensor.lastRecordMs = now;
        long throttle = Math.min(sensor.rate.throttleMs(match.bound(), now), maxThrottleMs());
        sensor.throttleMsTotal += throttle;
        return throttle;
      }
    }
  }

  /**
   * Forgets the sensors of callers idle for {@link #INACTIVE_SENSOR_EXPIRATION_MS}, and past
   * {@code maxIdleSensors} idle ones (rate 0: no request within the whole span) the longest idle: between two sweeps
   * memory grows by the callers of one span at most, as before the sensors outlived their span.
   */
  public void sweep() {
    long now = clock.getAsLong();
    List<Map.Entry<QuotaTable.Key, Sensor>> idle = new ArrayList<>();
    for (Map.Entry<QuotaTable.Key, Sensor> e : sensors.entrySet()) {
      Sensor s = e.getValue();
      synchronized (s) {
        if (now - s.lastRecordMs >= INACTIVE_SENSOR_EXPIRATION_MS) {
          drop(e.getKey(), s);
        } else if (s.rate.idle(now)) {
          idle.add(Map.entry(e.getKey(), s));
        }
      }
    }
    if (idle.size() > maxIdleSensors) {
      idle.sort(Comparator.comparingLong(e -> e.getValue().lastRecordMs));
      for (Map.Entry<QuotaTable.Key, Sensor> e : idle.subList(0, idle.size() - maxIdleSensors)) {
        synchronized (e.getValue()) {
          if (e.getValue().rate.idle(now)) { // not recorded to since it was listed
            drop(e.getKey(), e.getValue());
          }
        }
      }
    }
  }

  /** Under the sensor's lock: a request that found it before this records to a new one ({@link #record}). */
  private void drop(QuotaTable.Key key, Sensor sensor) {
    sensor.dropped = true;
    sensors.remove(key, sensor);
  }

  /**
   * Each measured caller's rate now and the throttle time it was given in total, for the metrics: the most recently
   * measured first, so that a bound on the series published keeps the callers still active.
   */
  public void forEachSensor(BiConsumer<QuotaTable.Key, double[]> action) {
    long now = clock.getAsLong();
    List<Reading> readings = new ArrayList<>(sensors.size());
    sensors.forEach((key, sensor) -> {
      synchronized (sensor) {
        readings.add(new Reading(key, sensor.lastRecordMs,
            new double[] {sensor.rate.rate(now), sensor.throttleMsTotal}));
      }
    });
    readings.sort(Comparator.comparingLong(Reading::lastRecordMs).reversed());
    readings.forEach(r -> action.accept(r.key(), r.values()));
  }

  private record Reading(QuotaTable.Key key, long lastRecordMs, double[] values) {
  }

  public int sensorCount() {
    return sensors.size();
  }

  private static final class Sensor {
    final SampledRate rate;
    double throttleMsTotal;
    long lastRecordMs;
    /** Set once {@link #sweep} dropped it from the map. */
    boolean dropped;

    Sensor(SampledRate rate) {
      this.rate = rate;
    }
  }
}
