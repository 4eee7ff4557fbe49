package io.sluice.connect;

import io.sluice.connect.Plugins.Kind;
import io.sluice.connect.Plugins.Plugin;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * A connector's transformations in order, each applied only when its predicate (possibly negated) matches, as
 * Kafka Connect configures them: {@code transforms=a,b}, {@code transforms.a.type}, {@code transforms.a.predicate},
 * {@code transforms.a.negate}, {@code predicates=p}, {@code predicates.p.type}, and each plugin's own keys under its
 * prefix. A transformation returning null drops the record. Used by one task thread.
 */
final class TransformationChain<R extends ConnectRecord<R>> {
  private record Stage<R extends ConnectRecord<R>>(String alias, Transformation<R> transformation,
      Predicate<R> predicate, boolean negate) {
  }

  private final List<Stage<R>> stages;

  private TransformationChain(List<Stage<R>> stages) {
    this.stages = stages;
  }

  /**
   * {@code scope}: where a {@code Monitorable} transformation or predicate reports its metrics (tag transformation
   * or predicate = its alias), and whose closer closes each one built (and removes its metrics) with the task, even
   * if a later one fails.
   */
  @SuppressWarnings("unchecked")
  static <R extends ConnectRecord<R>> TransformationChain<R> build(Plugins plugins, Map<String, String> config,
      PluginMeters.Scope scope) {
    Map<String, Predicate<R>> byAlias = new HashMap<>();
    for (String alias : ConnectorConfigs.parseList(config.get(ConnectorConfigs.PREDICATES))) {
      String prefix = "predicates." + alias + ".";
      Plugin plugin = plugins.require(prefix + "type", config.get(prefix + "type"), Kind.PREDICATE);
      Predicate<R> p = plugins.newInstance(plugin, Predicate.class);
      Plugins.withLoader(plugin.loader(), () -> {
        p.configure(ConnectorConfigs.withPrefix(config, prefix));
        scope.wrap(p, "predicate", alias);
        return null;
      });
      byAlias.put(alias, p);
    }
    List<Stage<R>> stages = new ArrayList<>();
    for (String alias : ConnectorConfigs.parseList(config.get(ConnectorConfigs.TRANSFORMS))) {
      String prefix = "transforms." + alias + ".";
      Plugin plugin = plugins.require(prefix + "type", config.get(prefix + "type"), Kind.TRANSFORMATION);
      Transformation<R> t = plugins.newInstance(plugin, Transformation.class);
      Plugins.withLoader(plugin.loader(), () -> {
        t.configure(ConnectorConfigs.withPrefix(config, prefix));
        scope.wrap(t, "transformation", alias);
        return null;
      });
      String predicateAlias = config.get(prefix + "predicate");
      Predicate<R> predicate = predicateAlias == null || predicateAlias.isBlank() ? null
          : byAlias.get(predicateAlias.trim());
      stages.add(new Stage<>(alias, t, predicate, Boolean.parseBoolean(config.getOrDefault(prefix + "negate",
          "false"))));
    }
    return new TransformationChain<>(stages);
  }

  /** The record after every stage, or null if a stage dropped it. */
  R apply(R record) {
    R current = record;
    for (Stage<R> s : stages) {
      if (current == null) {
        return null;
      }
      if (s.predicate != null && s.predicate.test(current) == s.negate) {
        continue;
      }
      current = s.transformation.apply(current);
    }
    return current;
  }

  boolean isEmpty() {
    return stages.isEmpty();
  }
}
