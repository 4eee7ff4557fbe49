package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ClusterHistoryTest {

  private static JsonObject history(long[] times, String name, Double... values) {
    JsonArray t = new JsonArray();
    for (long x : times) {
      t.add(x);
    }
    JsonArray v = new JsonArray();
    for (Double d : values) {
      v.add(d);
    }
    return new JsonObject().put("times", t).put("series", new JsonObject().put(name, v));
  }

  @Test
  void sumsTrafficAcrossBrokersInTheSameBucket() {
    Map<Integer, JsonObject> byBroker = new TreeMap<>();
    byBroker.put(1, history(new long[] {1_000, 2_100}, "topic.in.bytes/t", 10.0, 20.0));
    byBroker.put(2, history(new long[] {1_400, 2_900}, "topic.in.bytes/t", 1.0, 2.0));
    JsonObject merged = ClusterHistory.merge(byBroker, 1_000);
    assertThat(merged.getJsonArray("times")).containsExactly(1_000L, 2_000L);
    assertThat(merged.getJsonObject("series").getJsonArray("topic.in.bytes/t")).containsExactly(11.0, 22.0);
    assertThat(merged.getJsonArray("brokers")).containsExactly(1, 2);
  }

  @Test
  void groupLagTakesTheLargestAndBrokerSeriesStayApart() {
    Map<Integer, JsonObject> byBroker = new TreeMap<>();
    JsonObject one = history(new long[] {5_000}, "group.lag/g", 7.0);
    one.getJsonObject("series").put("broker.produce.p99_ms", new JsonArray().add(3.0));
    byBroker.put(1, one);
    JsonObject two = history(new long[] {5_000}, "group.lag/g", 4.0);
    two.getJsonObject("series").put("broker.produce.p99_ms", new JsonArray().add(9.0));
    byBroker.put(2, two);
    JsonObject series = ClusterHistory.merge(byBroker, 1_000).getJsonObject("series");
    assertThat(series.getJsonArray("group.lag/g")).containsExactly(7.0);
    assertThat(series.getJsonArray("broker.produce.p99_ms/1")).containsExactly(3.0);
    assertThat(series.getJsonArray("broker.produce.p99_ms/2")).containsExactly(9.0);
  }

  @Test
  void aBrokersLastSampleInABucketWinsAndGapsStayNull() {
    Map<Integer, JsonObject> byBroker = new TreeMap<>();
    byBroker.put(1, history(new long[] {1_000, 1_500, 3_000}, "total.in.bytes", 1.0, 5.0, null));
    JsonObject merged = ClusterHistory.merge(byBroker, 1_000);
    assertThat(merged.getJsonArray("times")).containsExactly(1_000L, 3_000L);
    assertThat(merged.getJsonObject("series").getJsonArray("total.in.bytes")).containsExactly(5.0, null);
  }
}
