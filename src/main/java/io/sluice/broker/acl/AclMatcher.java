package io.sluice.broker.acl;

import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kafka's ACL decision over a fixed set of bindings (its {@code AclAuthorizer.authorize}): the bindings that apply to
 * the resource are its LITERAL ones, the LITERAL {@code *} wildcard and the PREFIXED ones whose prefix starts its
 * name. None at all: {@code allowIfNoAcl} decides. Otherwise a DENY of the operation (or ALL) for the principal (or
 * {@code User:*}) from the host (or {@code *}) refuses, else an ALLOW of an operation implying it
 * ({@link AclOperation#allowedBy()}) allows, else it is refused. Immutable, thread-safe.
 */
public final class AclMatcher {
  public static final AclMatcher EMPTY = new AclMatcher(List.of());
  private static final String ANY_USER = AclBinding.USER_PREFIX + AclBinding.WILDCARD;

  private final List<AclBinding> bindings;
  private final Map<ResourceType, Map<String, List<AclBinding>>> literal = new EnumMap<>(ResourceType.class);
  private final Map<ResourceType, List<AclBinding>> prefixed = new EnumMap<>(ResourceType.class);

  public AclMatcher(Collection<AclBinding> bindings) {
    this.bindings = List.copyOf(bindings);
    for (AclBinding b : this.bindings) {
      if (b.patternType() == PatternType.PREFIXED) {
        prefixed.computeIfAbsent(b.resourceType(), t -> new ArrayList<>()).add(b);
      } else {
        literal.computeIfAbsent(b.resourceType(), t -> new HashMap<>())
            .computeIfAbsent(b.resourceName(), n -> new ArrayList<>()).add(b);
      }
    }
  }

  public List<AclBinding> bindings() {
    return bindings;
  }

  /** Whether {@code principal} ({@code User:name}) from {@code host} may do {@code op} on {@code type}/{@code name}. */
  public boolean authorize(String principal, String host, ResourceType type, String name, AclOperation op,
      boolean allowIfNoAcl) {
    List<AclBinding> applying = applying(type, name);
    if (applying.isEmpty()) {
      return allowIfNoAcl;
    }
    Set<AclOperation> allowing = op.allowedBy();
    boolean allowed = false;
    for (AclBinding b : applying) {
      if (!appliesTo(b, principal, host)) {
        continue;
      }
      if (b.permission() == AclPermission.DENY && (b.operation() == op || b.operation() == AclOperation.ALL)) {
        return false;
      }
      allowed |= b.permission() == AclPermission.ALLOW && allowing.contains(b.operation());
    }
    return allowed;
  }

  /**
   * Whether some binding allows {@code principal} {@code op} on some resource of {@code type} (Kafka's test for an
   * idempotent producer: Write on any topic).
   */
  public boolean allowsAny(String principal, String host, ResourceType type, AclOperation op) {
    Set<AclOperation> allowing = op.allowedBy();
    for (AclBinding b : bindings) {
      if (b.resourceType() == type && b.permission() == AclPermission.ALLOW && allowing.contains(b.operation())
          && appliesTo(b, principal, host)) {
        return true;
      }
    }
    return false;
  }

  private List<AclBinding> applying(ResourceType type, String name) {
    List<AclBinding> out = new ArrayList<>();
    Map<String, List<AclBinding>> byName = literal.get(type);
    if (byName != null) {
      out.addAll(byName.getOrDefault(name, List.of()));
      if (!AclBinding.WILDCARD.equals(name)) {
        out.addAll(byName.getOrDefault(AclBinding.WILDCARD, List.of()));
      }
    }
    for (AclBinding b : prefixed.getOrDefault(type, List.of())) {
      if (name.startsWith(b.resourceName())) {
        out.add(b);
      }
    }
    return out;
  }

  private static boolean appliesTo(AclBinding b, String principal, String host) {
    return (b.principal().equals(principal) || b.principal().equals(ANY_USER))
        && (b.host().equals(AclBinding.WILDCARD) || b.host().equals(host));
  }
}
