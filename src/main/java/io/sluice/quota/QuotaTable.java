package io.sluice.quota;

import static io.sluice.quota.QuotaEntity.DEFAULT;

import java.util.EnumMap;
import java.util.Map;

/**
 * Every configured quota, immutable: a new table replaces the old one when ZooKeeper changes. Finds the quota that
 * applies to a caller with Kafka's precedence (the first level that has a quota of the type wins):
 *
 * <ol>
 *   <li>user and client id</li>
 *   <li>user and {@code <default>} client id</li>
 *   <li>user</li>
 *   <li>{@code <default>} user and client id</li>
 *   <li>{@code <default>} user and {@code <default>} client id</li>
 *   <li>{@code <default>} user</li>
 *   <li>client id</li>
 *   <li>{@code <default>} client id</li>
 * </ol>
 */
public record QuotaTable(Map<QuotaEntity, Map<QuotaType, Double>> entries) {
  public static final QuotaTable EMPTY = new QuotaTable(Map.of());

  public QuotaTable {
    entries = Map.copyOf(entries);
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /**
   * The quota of {@code type} that applies to {@code user} and {@code clientId}, with the key its rate is measured
   * under (as Kafka's metric tags: a default part stands for the caller's own name, so each user or client id under
   * a default has a rate of its own; a part the entity does not name is empty, so callers share it), or null.
   */
  public Match match(String user, String clientId, QuotaType type) {
    String[][] levels = {
        {user, clientId}, {user, DEFAULT}, {user, null},
        {DEFAULT, clientId}, {DEFAULT, DEFAULT}, {DEFAULT, null},
        {null, clientId}, {null, DEFAULT}};
    for (String[] level : levels) {
      Map<QuotaType, Double> quotas = entries.get(new QuotaEntity(level[0], level[1]));
      Double bound = quotas == null ? null : quotas.get(type);
      if (bound != null) {
        return new Match(new Key(type, level[0] == null ? "" : user, level[1] == null ? "" : clientId), bound);
      }
    }
    return null;
  }

  /** A table from entities' quota maps keyed by config name (unknown names are ignored). */
  public static QuotaTable of(Map<QuotaEntity, Map<String, Double>> byName) {
    Map<QuotaEntity, Map<QuotaType, Double>> m = new java.util.HashMap<>();
    byName.forEach((entity, quotas) -> {
      Map<QuotaType, Double> typed = new EnumMap<>(QuotaType.class);
      quotas.forEach((k, v) -> QuotaType.ofKey(k).ifPresent(t -> typed.put(t, v)));
      if (!typed.isEmpty()) {
        m.put(entity, typed);
      }
    });
    return new QuotaTable(m);
  }

  /** What a rate is measured under: the quota type, and the user and client id of the sensor ("" when shared). */
  public record Key(QuotaType type, String user, String clientId) {
  }

  /** The applying quota: its rate's key and its bound (bytes or requests per second). */
  public record Match(Key key, double bound) {
  }
}
