package io.sluice.client;

/**
 * Which ACLs {@link Admin#describeAcls} and {@link Admin#deleteAcls} take (Kafka's {@code AclBindingFilter}): a null
 * field matches any value; {@code patternType} ANY (default) takes any pattern with exactly {@code resourceName},
 * MATCH every binding that applies to a resource of that name.
 */
public record AclBindingFilter(String resourceType, String resourceName, String patternType, String principal,
    String host, String operation, String permission) {
  /** Every ACL. */
  public static final AclBindingFilter ANY = new AclBindingFilter("ANY", null, null, null, null, null, null);
}
