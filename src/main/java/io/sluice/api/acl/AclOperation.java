package io.sluice.api.acl;

import java.util.EnumSet;
import java.util.Set;

/**
 * An operation on a resource (Kafka's {@code AclOperation}). {@link #ALL} in a binding means every operation; {@link #ANY}
 * only in a filter.
 */
public enum AclOperation {
  ANY, ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS,
  IDEMPOTENT_WRITE;

  /**
   * The operations whose ALLOW also allows this one, itself included (Kafka's implications: Read, Write, Delete and
   * Alter imply Describe; AlterConfigs implies DescribeConfigs). A DENY denies only the operation it names (or ALL).
   */
  public Set<AclOperation> allowedBy() {
    return switch (this) {
      case DESCRIBE -> EnumSet.of(ALL, DESCRIBE, READ, WRITE, DELETE, ALTER);
      case DESCRIBE_CONFIGS -> EnumSet.of(ALL, DESCRIBE_CONFIGS, ALTER_CONFIGS);
      default -> EnumSet.of(ALL, this);
    };
  }

  /** As Kafka writes it in messages and its CLI: {@code DescribeConfigs}. */
  public String displayName() {
    StringBuilder s = new StringBuilder();
    for (String part : name().split("_")) {
      s.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
    }
    return s.toString();
  }

  public static AclOperation parse(String field, String text) {
    return AclNames.parse(AclOperation.class, field, text);
  }
}
