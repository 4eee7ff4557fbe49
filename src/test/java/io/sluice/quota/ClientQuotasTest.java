package io.sluice.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The rate and throttle arithmetic of client quotas, on an injected clock (Kafka's window rules). */
class ClientQuotasTest {
  private static final int MAX_IDLE = 3;
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final ClientQuotas quotas = new ClientQuotas(11, 1_000, MAX_IDLE, now::get);

  private static QuotaTable table(QuotaEntity entity, String key, double value) {
    return QuotaTable.of(Map.of(entity, Map.of(key, value)));
  }

  @Test
  void aFirstBurstIsMeasuredOverTenWholeWindowsAndThrottledByKafkasFormula() {
    quotas.update(table(new QuotaEntity(null, "greedy"), "producer_byte_rate", 1_000));

    assertThat(quotas.record(QuotaType.PRODUCE, "ANONYMOUS", "greedy", 5_000))
        .as("5,000 bytes over 10 s: 500 B/s, under 1,000").isZero();
    assertThat(quotas.record(QuotaType.PRODUCE, "ANONYMOUS", "greedy", 10_000))
        .as("15,000 bytes over 10 s: 1,500 B/s; (1500 - 1000) / 1000 * 10 s").isEqualTo(5_000);
  }

  @Test
  void theRateComesBackUnderOnceTheWindowsHoldingTheBurstAreForgotten() {
    quotas.update(table(new QuotaEntity(null, "greedy"), "producer_byte_rate", 1_000));
    assertThat(quotas.record(QuotaType.PRODUCE, "u", "greedy", 20_000)).isEqualTo(10_000);

    now.addAndGet(11_000); // every window of the burst is older than the 11 windows' span
    assertThat(quotas.record(QuotaType.PRODUCE, "u", "greedy", 100)).isZero();
  }

  @Test
  void aHugeRequestIsHeldNoLongerThanTheWholeSpan() {
    quotas.update(table(new QuotaEntity(null, "greedy"), "producer_byte_rate", 1));
    assertThat(quotas.record(QuotaType.PRODUCE, "u", "greedy", 1e9)).isEqualTo(11_000);
  }

  @Test
  void aClientWithoutAQuotaOfTheTypeIsNotMeasured() {
    quotas.update(table(new QuotaEntity(null, "greedy"), "producer_byte_rate", 1_000));
    assertThat(quotas.record(QuotaType.PRODUCE, "u", "polite", 1e9)).isEqualTo(-1);
    assertThat(quotas.record(QuotaType.FETCH, "u", "greedy", 1e9)).as("only produce is bounded").isEqualTo(-1);
    assertThat(quotas.sensorCount()).isZero();
  }

  @Test
  void eachClientIdUnderTheDefaultHasARateOfItsOwn() {
    quotas.update(table(new QuotaEntity(null, QuotaEntity.DEFAULT), "request_rate", 1));
    assertThat(quotas.record(QuotaType.REQUEST, "u", "a", 15)).as("15 requests over 10 s: 1.5/s").isEqualTo(5_000);
    assertThat(quotas.record(QuotaType.REQUEST, "u", "b", 5)).as("b is measured alone").isZero();
  }

  @Test
  void usersUnderAUserOnlyQuotaShareNothingButTheirClientIdsShareTheUsersRate() {
    quotas.update(table(new QuotaEntity("alice", null), "request_rate", 1));
    assertThat(quotas.record(QuotaType.REQUEST, "alice", "a", 10)).isZero();
    assertThat(quotas.record(QuotaType.REQUEST, "alice", "b", 5)).as("alice's client ids share one rate")
        .isEqualTo(5_000);
  }

  @Test
  void aQuotaLoweredAtRuntimeAppliesToTheRateAlreadyMeasured() {
    quotas.update(table(new QuotaEntity(null, "c"), "consumer_byte_rate", 10_000));
    assertThat(quotas.record(QuotaType.FETCH, "u", "c", 20_000)).isZero();

    quotas.update(table(new QuotaEntity(null, "c"), "consumer_byte_rate", 1_000));
    assertThat(quotas.record(QuotaType.FETCH, "u", "c", 0)).as("2,000 B/s against 1,000").isEqualTo(10_000);

    quotas.update(QuotaTable.EMPTY);
    assertThat(quotas.active()).isFalse();
    assertThat(quotas.record(QuotaType.FETCH, "u", "c", 0)).isEqualTo(-1);
  }

  /** Kafka keeps a client's quota sensors, and so its throttle-time metric, for an hour of inactivity. */
  @Test
  void anIdleCallersSensorAndThrottleTimeAreKeptForAnHourAfterItsLastRequest() {
    quotas.update(table(new QuotaEntity(null, QuotaEntity.DEFAULT), "request_rate", 1));
    assertThat(quotas.record(QuotaType.REQUEST, "u", "idle", 15)).isEqualTo(5_000);
    long hour = ClientQuotas.INACTIVE_SENSOR_EXPIRATION_MS;
    assertThat(hour).isEqualTo(3_600_000);

    for (long idle = 11_000; idle < hour; idle += 11_000) { // a sweep every span, as the broker runs them
      now.set(1_000_000 + idle);
      quotas.sweep();
    }
    now.set(1_000_000 + hour - 1);
    quotas.sweep();
    Map<String, double[]> seen = sensors();
    assertThat(seen).containsOnlyKeys("idle");
    assertThat(seen.get("idle")).as("no rate after the span; its throttle time still told").containsExactly(0, 5_000);

    now.set(1_000_000 + hour);
    quotas.sweep();
    assertThat(quotas.sensorCount()).isZero();
  }

  /** A flood of client ids: idle sensors beyond the bound go, the longest idle first; a caller still measured stays. */
  @Test
  void pastTheBoundTheLongestIdleSensorsAreDroppedFirstAndBusyOnesNever() {
    quotas.update(table(new QuotaEntity(null, QuotaEntity.DEFAULT), "request_rate", 100));
    for (int i = 0; i < 6; i++) {
      quotas.record(QuotaType.REQUEST, "u", "c" + i, 1);
      now.addAndGet(1_000);
    }
    now.addAndGet(20_000); // all six idle for more than the span
    quotas.record(QuotaType.REQUEST, "u", "busy", 1);
    quotas.sweep();

    assertThat(sensors()).as("the " + MAX_IDLE + " most recently idle, and the busy one")
        .containsOnlyKeys("c3", "c4", "c5", "busy");
  }

  @Test
  void aSensorDroppedBetweenTwoRequestsStartsAfreshWithTheNextRequest() {
    quotas.update(table(new QuotaEntity(null, "c"), "request_rate", 1));
    assertThat(quotas.record(QuotaType.REQUEST, "u", "c", 15)).isEqualTo(5_000);
    now.addAndGet(ClientQuotas.INACTIVE_SENSOR_EXPIRATION_MS);
    quotas.sweep();
    assertThat(quotas.sensorCount()).isZero();

    assertThat(quotas.record(QuotaType.REQUEST, "u", "c", 1)).isZero();
    assertThat(sensors().get("c")).as("a new sensor: the old throttle time is gone").containsExactly(0.1, 0);
  }

  @Test
  void theMostRecentlyMeasuredCallersComeFirst() {
    quotas.update(table(new QuotaEntity(null, QuotaEntity.DEFAULT), "request_rate", 100));
    for (String c : new String[] {"b", "c", "a"}) {
      quotas.record(QuotaType.REQUEST, "u", c, 1);
      now.addAndGet(1);
    }
    java.util.List<String> order = new java.util.ArrayList<>();
    quotas.forEachSensor((key, values) -> order.add(key.clientId()));
    assertThat(order).containsExactly("a", "c", "b");
  }

  /** Each sensor's rate and throttle time total by client id. */
  private Map<String, double[]> sensors() {
    Map<String, double[]> seen = new HashMap<>();
    quotas.forEachSensor((key, values) -> seen.put(key.clientId(), values));
    return seen;
  }

  @Test
  void precedenceFollowsKafkasEightLevels() {
    Map<QuotaEntity, Map<String, Double>> all = new HashMap<>();
    String d = QuotaEntity.DEFAULT;
    QuotaEntity[] levels = {new QuotaEntity("alice", "app"), new QuotaEntity("alice", d), new QuotaEntity("alice", null),
        new QuotaEntity(d, "app"), new QuotaEntity(d, d), new QuotaEntity(d, null), new QuotaEntity(null, "app"),
        new QuotaEntity(null, d)};
    for (int i = 0; i < levels.length; i++) {
      all.put(levels[i], Map.of("producer_byte_rate", (double) (i + 1)));
    }
    String[][] expectedKeys = {{"alice", "app"}, {"alice", "app"}, {"alice", ""}, {"alice", "app"},
        {"alice", "app"}, {"alice", ""}, {"", "app"}, {"", "app"}};
    for (int i = 0; i < levels.length; i++) {
      QuotaTable.Match m = QuotaTable.of(all).match("alice", "app", QuotaType.PRODUCE);
      assertThat(m.bound()).as("with levels %d.. configured", i + 1).isEqualTo(i + 1);
      assertThat(new String[] {m.key().user(), m.key().clientId()}).as("the rate's key at level %d", i + 1)
          .containsExactly(expectedKeys[i]);
      all.remove(levels[i]);
    }
    assertThat(QuotaTable.of(all).match("alice", "app", QuotaType.PRODUCE)).isNull();
  }

  @Test
  void theGateCountsProducesAndFetchesByTheirPaths() {
    var post = io.vertx.core.http.HttpMethod.POST;
    var get = io.vertx.core.http.HttpMethod.GET;
    assertThat(QuotaGate.classify(post, "/topics/t")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "/topics/t/partitions/0")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "/topics/t/partitions/0/batches")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "/batches")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "/topics")).as("a topic's creation").isEqualTo(QuotaType.REQUEST);
    assertThat(QuotaGate.classify(post, "/topics/t/configs:alter")).isEqualTo(QuotaType.REQUEST);
    assertThat(QuotaGate.classify(get, "/topics/t/partitions/0/records")).isEqualTo(QuotaType.FETCH);
    assertThat(QuotaGate.classify(get, "/consumers/g/instances/c/records")).isEqualTo(QuotaType.FETCH);
    assertThat(QuotaGate.classify(post, "/fetch")).isEqualTo(QuotaType.FETCH);
    assertThat(QuotaGate.classify(get, "/topics/t")).isEqualTo(QuotaType.REQUEST);
  }

  /** The routes match these as the plain paths (the gate is handed the normalized path, dot segments gone). */
  @Test
  void aTrailingSlashOrEmptySegmentsDoNotHideAProduceOrFetch() {
    var post = io.vertx.core.http.HttpMethod.POST;
    var get = io.vertx.core.http.HttpMethod.GET;
    assertThat(QuotaGate.classify(post, "/topics/t/")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "//topics/t")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "/topics//t/partitions/0/")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "/batches/")).isEqualTo(QuotaType.PRODUCE);
    assertThat(QuotaGate.classify(post, "/fetch/")).isEqualTo(QuotaType.FETCH);
    assertThat(QuotaGate.classify(get, "/topics/t/partitions/0/records/")).isEqualTo(QuotaType.FETCH);
    assertThat(QuotaGate.classify(get, "/")).isEqualTo(QuotaType.REQUEST);
  }
}
