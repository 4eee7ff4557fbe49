package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricsHistoryTest {

  @Test
  void keepsOnlyTheLastCapacitySamplesOldestFirst() {
    MetricsHistory h = new MetricsHistory(3, 10);
    for (int i = 1; i <= 5; i++) {
      h.append(i * 1000L, Map.of("total.in.bytes", (double) i));
    }
    JsonObject json = h.toJson(-1);
    assertThat(json.getJsonArray("times")).containsExactly(3000L, 4000L, 5000L);
    assertThat(json.getJsonObject("series").getJsonArray("total.in.bytes")).containsExactly(3.0, 4.0, 5.0);
    assertThat(h.sampleCount()).isEqualTo(3);
  }

  @Test
  void aSeriesMissingFromASampleIsNullThereAndForgottenOnceAllItsValuesAgedOut() {
    MetricsHistory h = new MetricsHistory(2, 10);
    h.append(1, Map.of("a", 1.0, "b", 2.0));
    h.append(2, Map.of("a", 3.0));
    assertThat(h.toJson(-1).getJsonObject("series").getJsonArray("b")).containsExactly(2.0, null);
    h.append(3, Map.of("a", 4.0));
    assertThat(h.toJson(-1).getJsonObject("series").fieldNames()).containsExactly("a");
    assertThat(h.seriesCount()).isEqualTo(1);
  }

  @Test
  void seriesBeyondTheLimitAreNotRecordedAndCounted() {
    MetricsHistory h = new MetricsHistory(4, 2);
    h.append(1, Map.of("a", 1.0, "b", 1.0, "c", 1.0));
    assertThat(h.seriesCount()).isEqualTo(2);
    assertThat(h.droppedSeries()).isEqualTo(1);
  }

  @Test
  void sinceReturnsOnlyLaterSamples() {
    MetricsHistory h = new MetricsHistory(10, 10);
    for (int i = 1; i <= 4; i++) {
      h.append(i * 10L, Map.of("a", (double) i));
    }
    JsonObject json = h.toJson(20);
    assertThat(json.getJsonArray("times")).containsExactly(30L, 40L);
    assertThat(json.getJsonObject("series").getJsonArray("a")).containsExactly(3.0, 4.0);
  }

  @Test
  void matchesAListModelOverRandomAppends() {
    Random random = new Random(7);
    int capacity = 17;
    MetricsHistory h = new MetricsHistory(capacity, 100);
    List<Map<String, Double>> model = new ArrayList<>();
    for (int t = 0; t < 200; t++) {
      Map<String, Double> values = new HashMap<>();
      for (String name : List.of("x", "y", "z")) {
        if (random.nextInt(3) > 0) {
          values.put(name, (double) random.nextInt(100));
        }
      }
      h.append(t, values);
      model.add(values);
      JsonObject json = h.toJson(-1);
      List<Map<String, Double>> window = model.subList(Math.max(0, model.size() - capacity), model.size());
      JsonArray times = json.getJsonArray("times");
      assertThat(times.size()).isEqualTo(window.size());
      for (String name : List.of("x", "y", "z")) {
        boolean any = window.stream().anyMatch(m -> m.containsKey(name));
        JsonArray got = json.getJsonObject("series").getJsonArray(name);
        assertThat(got != null).as("series %s present at t=%d", name, t).isEqualTo(any);
        for (int i = 0; got != null && i < window.size(); i++) {
          assertThat(got.getValue(i)).isEqualTo(window.get(i).get(name));
        }
      }
    }
  }
}
