package io.sluice.api.acl;

import java.io.Serializable;

/**
 * Which bindings a listing or a deletion takes (Kafka's {@code AclBindingFilter}): each null field, ANY type,
 * operation or permission matches every binding; {@code patternType} ANY takes every pattern type with exactly
 * {@code resourceName}, MATCH every binding that applies to a resource named {@code resourceName} (LITERAL equal, the
 * {@code *} wildcard, PREFIXED prefixes of it), LITERAL/PREFIXED that type and name exactly.
 */
public record AclBindingFilter(ResourceType resourceType, String resourceName, PatternType patternType,
    String principal, String host, AclOperation operation, AclPermission permission) implements Serializable {
  public static final AclBindingFilter ANY = new AclBindingFilter(null, null, null, null, null, null, null);

  public AclBindingFilter {
    resourceType = resourceType == null ? ResourceType.ANY : resourceType;
    patternType = patternType == null ? PatternType.ANY : patternType;
    operation = operation == null ? AclOperation.ANY : operation;
    permission = permission == null ? AclPermission.ANY : permission;
    host = host == null ? null : AclBinding.normalizeHost(host);
    if (patternType == PatternType.MATCH && (resourceType == ResourceType.ANY || resourceName == null)) {
      throw new IllegalArgumentException("pattern_type MATCH needs a resource_type and a resource_name");
    }
  }

  public boolean matches(AclBinding b) {
    return (resourceType == ResourceType.ANY || resourceType == b.resourceType())
        && nameMatches(b)
        && (principal == null || principal.equals(b.principal()))
        && (host == null || host.equals(b.host()))
        && (operation == AclOperation.ANY || operation == b.operation())
        && (permission == AclPermission.ANY || permission == b.permission());
  }

  private boolean nameMatches(AclBinding b) {
    return switch (patternType) {
      case MATCH -> b.appliesTo(resourceType, resourceName);
      case ANY -> resourceName == null || resourceName.equals(b.resourceName());
      default -> patternType == b.patternType() && (resourceName == null || resourceName.equals(b.resourceName()));
    };
  }
}
