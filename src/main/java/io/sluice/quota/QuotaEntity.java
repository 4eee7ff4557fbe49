package io.sluice.quota;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a quota is set on, as Kafka's client quota entities: a user, a client id, or both; either part may be the
 * {@value #DEFAULT} entity, which applies to every user (client id) without a quota of its own.
 *
 * @param user the user principal's name, {@value #DEFAULT}, or null when the entity names no user
 * @param clientId the client id, {@value #DEFAULT}, or null when the entity names no client id
 */
public record QuotaEntity(String user, String clientId) {
  public static final String DEFAULT = "<default>";
  public static final String USER = "user";
  public static final String CLIENT_ID = "client-id";

  public QuotaEntity {
    if (user == null && clientId == null) {
      throw new IllegalArgumentException("a quota entity names a user, a client id or both");
    }
  }

  /** The entity as Kafka's describe shows it: {"user": ..., "client-id": ...}, absent parts left out. */
  public Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    if (user != null) {
      m.put(USER, user);
    }
    if (clientId != null) {
      m.put(CLIENT_ID, clientId);
    }
    return m;
  }

  /** The znode name: both parts URL-encoded, so any name is a valid znode name and distinct entities stay distinct. */
  String nodeName() {
    return "user=" + encode(user) + "&client-id=" + encode(clientId);
  }

  private static String encode(String part) {
    return part == null ? "" : "v" + java.net.URLEncoder.encode(part, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return Objects.toString(asMap());
  }
}
