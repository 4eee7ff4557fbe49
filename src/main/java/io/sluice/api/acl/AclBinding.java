package io.sluice.api.acl;

import java.io.Serializable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * One ACL, as Kafka binds it: who ({@code principal}, from which {@code host}) may or may not do {@code operation} on
 * the resources {@code resourceType}/{@code resourceName} names by {@code patternType}. The constructor refuses a binding
 * Kafka would refuse, with an {@link IllegalArgumentException} whose message starts with the REST field at fault.
 *
 * @param principal {@code User:name}, or {@code User:*} for every user
 * @param host {@code *} or an IP address (normalized: {@code ::1} is stored as {@code 0:0:0:0:0:0:0:1})
 */
public record AclBinding(ResourceType resourceType, String resourceName, PatternType patternType, String principal,
    String host, AclOperation operation, AclPermission permission) implements Serializable {
  public static final String WILDCARD = "*";
  public static final String USER_PREFIX = "User:";
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  public AclBinding {
    require(resourceType != null && resourceType != ResourceType.ANY, "resource_type", "must be TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID");
    require(resourceName != null && !resourceName.isEmpty(), "resource_name", "is required");
    require(patternType == PatternType.LITERAL || patternType == PatternType.PREFIXED, "pattern_type",
        "must be LITERAL or PREFIXED");
    require(resourceType != ResourceType.CLUSTER || (patternType == PatternType.LITERAL
        && ResourceType.CLUSTER_NAME.equals(resourceName)), "resource_name",
        "of a CLUSTER binding must be " + ResourceType.CLUSTER_NAME + " (LITERAL)");
    require(patternType != PatternType.PREFIXED || !WILDCARD.equals(resourceName), "resource_name",
        "'*' is LITERAL only (it already matches every name)");
    require(principal != null && principal.startsWith(USER_PREFIX) && principal.length() > USER_PREFIX.length(),
        "principal", "must be User:<name> or User:*");
    host = normalizeHost(host);
    require(operation != null && operation != AclOperation.ANY, "operation", "is required (not ANY)");
    require(permission != null && permission != AclPermission.ANY, "permission", "must be ALLOW or DENY");
  }

  /** {@code *}, or the canonical text of an IP address; never a name lookup. */
  public static String normalizeHost(String host) {
    if (host == null || host.isEmpty() || WILDCARD.equals(host)) {
      return WILDCARD;
    }
    require(host.indexOf(':') >= 0 || IPV4.matcher(host).matches(), "host", "must be * or an IP address");
    try {
      return InetAddress.getByName(host).getHostAddress();  // a literal: parsed, not resolved
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("host '" + host + "' is not an IP address");
    }
  }

  /** Whether this binding's pattern covers the resource {@code type}/{@code name}. */
  public boolean appliesTo(ResourceType type, String name) {
    if (type != resourceType) {
      return false;
    }
    return patternType == PatternType.PREFIXED ? name.startsWith(resourceName)
        : resourceName.equals(name) || WILDCARD.equals(resourceName);
  }

  private static void require(boolean ok, String field, String problem) {
    if (!ok) {
      throw new IllegalArgumentException(field + " " + problem);
    }
  }

  @Override
  public String toString() {
    return permission + " " + principal + " from " + host + " " + operation.displayName() + " on " + resourceType
        + (patternType == PatternType.PREFIXED ? " prefixed '" : " '") + resourceName + "'";
  }

  /** A stable identity, for storage keys. */
  public String key() {
    return String.join("|", resourceType.name(), patternType.name(), resourceName, principal, host, operation.name(),
        permission.name());
  }
}
