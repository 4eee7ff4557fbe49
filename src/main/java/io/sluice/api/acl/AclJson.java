package io.sluice.api.acl;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * A binding in Kafka REST v3's JSON shape, {@code {"resource_type": "TOPIC", "resource_name", "pattern_type":
 * "LITERAL", "principal": "User:alice", "host": "*", "operation": "READ", "permission": "ALLOW"}}: the HTTP API's and
 * the ZooKeeper store's format. Stateless.
 */
public final class AclJson {
  public static final Set<String> FIELDS = Set.of("resource_type", "resource_name", "pattern_type", "principal",
      "host", "operation", "permission");

  private AclJson() {
  }

  public static JsonObject json(AclBinding b) {
    return new JsonObject().put("resource_type", b.resourceType().name()).put("resource_name", b.resourceName())
        .put("pattern_type", b.patternType().name()).put("principal", b.principal()).put("host", b.host())
        .put("operation", b.operation().name()).put("permission", b.permission().name());
  }

  /** Fails with an {@link IllegalArgumentException} naming the field at fault. */
  public static AclBinding binding(JsonObject o) {
    return new AclBinding(ResourceType.parse("resource_type", text(o, "resource_type")), text(o, "resource_name"),
        PatternType.parse("pattern_type", o.containsKey("pattern_type") ? text(o, "pattern_type") : "LITERAL"),
        text(o, "principal"), o.containsKey("host") ? text(o, "host") : AclBinding.WILDCARD,
        AclOperation.parse("operation", text(o, "operation")), AclPermission.parse("permission",
            o.containsKey("permission") ? text(o, "permission") : "ALLOW"));
  }

  private static String text(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v != null && !(v instanceof String)) {
      throw new IllegalArgumentException(field + " must be a string");
    }
    return (String) v;
  }
}
