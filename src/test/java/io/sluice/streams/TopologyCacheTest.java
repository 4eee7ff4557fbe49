package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** {@link TopologyCache}: one description per definition version, and answers the caller may add figures to. */
class TopologyCacheTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));

  private static StreamDefinition definition(String store) {
    return PARSER.parse(new JsonObject("""
        {"name": "s", "inputs": ["in"], "steps": [{"group_by": "key"}, {"count": {"store": "%s"}}, {"to": "out"}]}"""
        .formatted(store)), null);
  }

  @Test
  void aVersionIsDescribedOnceAndANewVersionAfresh() {
    TopologyCache cache = new TopologyCache();
    StreamDefinition v1 = definition("counts");
    StreamTopology first = cache.topology(v1);
    assertThat(cache.topology(v1)).isSameAs(first);
    StreamDefinition v2 = definition("totals");
    assertThat(cache.topology(v2)).isNotSameAs(first);
    assertThat(cache.json(v2).getJsonArray("stores").getJsonObject(0).getString("name")).isEqualTo("totals");
  }

  @Test
  void eachJsonAnswerIsACopyTheFiguresOfOneCallNeverReachTheNext() {
    TopologyCache cache = new TopologyCache();
    StreamDefinition d = definition("counts");
    JsonObject one = cache.json(d);
    one.getJsonArray("subtopologies").getJsonObject(0).put("figures", new JsonObject().put("records_in", 7));
    assertThat(cache.json(d).getJsonArray("subtopologies").getJsonObject(0).containsKey("figures")).isFalse();
    assertThat(cache.json(d)).isNotSameAs(cache.json(d)).isEqualTo(cache.json(d));
  }
}
