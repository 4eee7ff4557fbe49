package io.sluice.client;

import java.util.Objects;

/**
 * One ACL for {@link Admin#createAcls} (Kafka's {@code AclBinding}), in the broker's REST names: {@code resourceType}
 * TOPIC, GROUP or CLUSTER (named {@code kafka-cluster}); {@code patternType} LITERAL or PREFIXED; {@code principal}
 * {@code User:name} or {@code User:*}; {@code host} {@code *} or an IP address; {@code operation} READ, WRITE, CREATE,
 * DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE or ALL; {@code permission}
 * ALLOW or DENY. The broker checks them and refuses a bad one with INVALID_REQUEST naming the field.
 */
public record AclBinding(String resourceType, String resourceName, String patternType, String principal,
    String host, String operation, String permission) {

  public AclBinding {
    Objects.requireNonNull(resourceType, "resourceType");
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(operation, "operation");
    patternType = patternType == null ? "LITERAL" : patternType;
    host = host == null ? "*" : host;
    permission = permission == null ? "ALLOW" : permission;
  }

  /** ALLOW {@code operation} on the topic {@code name} (LITERAL) to {@code principal} from any host. */
  public static AclBinding allowTopic(String name, String principal, String operation) {
    return new AclBinding("TOPIC", name, "LITERAL", principal, "*", operation, "ALLOW");
  }
}
