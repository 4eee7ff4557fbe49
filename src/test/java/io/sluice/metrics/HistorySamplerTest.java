package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HistorySamplerTest {

  @Test
  void theFirstSampleCountsTrafficSinceTheCountersStartedEvenWhenItsTickIsLate() {
    BrokerMetrics metrics = new BrokerMetrics(new SimpleMeterRegistry());
    MetricsHistory history = new MetricsHistory(10, 100);
    long start = 1_000_000_000L;
    HistorySampler sampler = new HistorySampler(metrics, history, start);
    metrics.produced(new TopicPartition("t", 0), 500, 50, System.nanoTime());
    sampler.sample(10_000, start + 5_000_000_000L, Future.succeededFuture(Map.of()));
    JsonObject series = history.toJson(-1).getJsonObject("series");
    assertThat(series.getJsonArray("topic.in.records/t")).containsExactly(10.0);
    assertThat(series.getJsonArray("total.in.bytes")).containsExactly(100.0);
    sampler.sample(15_000, start + 10_000_000_000L, Future.succeededFuture(Map.of("g", Map.of("t/0", 7L))));
    series = history.toJson(-1).getJsonObject("series");
    assertThat(series.getJsonArray("topic.in.records/t")).containsExactly(10.0, 0.0);
    assertThat(series.getJsonArray("group.lag/g")).containsExactly(null, 7.0);
    assertThat(series.getJsonArray("group.lag/g/t/0")).containsExactly(null, 7.0);
  }
}
