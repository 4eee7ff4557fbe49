package io.sluice.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Client quotas as {@link Admin} describes and alters them (Kafka's {@code ClientQuotaEntity}, {@code
 * ClientQuotaFilter} and {@code ClientQuotaAlteration}). An entity maps {@value #USER} and/or {@value #CLIENT_ID} to a
 * name, or to {@value #DEFAULT} for the default entity of that type; quota keys are {@code producer_byte_rate},
 * {@code consumer_byte_rate} (bytes per second) and {@code request_rate} (requests per second).
 */
public final class ClientQuotas {
  public static final String USER = "user";
  public static final String CLIENT_ID = "client-id";
  public static final String DEFAULT = "<default>";

  private ClientQuotas() {
  }

  /** An entity: {@code entity(null, "app")} is client id app; {@code entity("alice", DEFAULT)} alice's default. */
  public static Map<String, String> entity(String user, String clientId) {
    Map<String, String> m = new LinkedHashMap<>();
    if (user != null) {
      m.put(USER, user);
    }
    if (clientId != null) {
      m.put(CLIENT_ID, clientId);
    }
    return m;
  }

  /** One entity's quotas, as described. */
  public record Entry(Map<String, String> entity, Map<String, Double> quotas) {
  }

  /**
   * Which entities to describe: each part an entity name, {@value ClientQuotas#DEFAULT}, {@code "*"} (any of that
   * type) or null (anything, or with {@code strict} only entities without that part).
   */
  public record Filter(String user, String clientId, boolean strict) {
    public static Filter all() {
      return new Filter(null, null, false);
    }
  }

  /** Changes to one entity's quotas: each key to its new value, or to null to remove it. */
  public record Alteration(Map<String, String> entity, Map<String, Double> changes) {
  }
}
