package io.sluice.client.impl;

import io.sluice.client.ConfigChange;
import io.sluice.client.TopicConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The {@code /topics/{t}/configs} JSON shapes (Kafka REST v3's topic configs) for {@link AdminImpl}. */
final class TopicConfigsJson {
  private TopicConfigsJson() {
  }

  /** {@code {"data": [{"name", "value"?, "operation"}], "validate_only"}} */
  static JsonObject alteration(List<ConfigChange> changes, boolean validateOnly) {
    JsonArray data = new JsonArray();
    for (ConfigChange c : changes) {
      JsonObject change = new JsonObject().put("name", c.name()).put("operation", c.isDelete() ? "DELETE" : "SET");
      if (!c.isDelete()) {
        change.put("value", c.value());
      }
      data.add(change);
    }
    return new JsonObject().put("data", data).put("validate_only", validateOnly);
  }

  /** The {@code "configs"} of a {@code {"topic", "configs": [...]}} answer. */
  static List<TopicConfig> configs(JsonObject answer) {
    List<TopicConfig> out = new ArrayList<>();
    for (Object o : answer.getJsonArray("configs", new JsonArray())) {
      JsonObject c = (JsonObject) o;
      List<TopicConfig.Synonym> synonyms = new ArrayList<>();
      for (Object s : c.getJsonArray("synonyms", new JsonArray())) {
        JsonObject syn = (JsonObject) s;
        synonyms.add(new TopicConfig.Synonym(syn.getString("name"), syn.getString("value"), syn.getString("source")));
      }
      out.add(new TopicConfig(c.getString("name"), c.getString("value"), c.getString("source"),
          c.getBoolean("is_default", false), c.getBoolean("is_read_only", false), synonyms));
    }
    return out;
  }
}
