package io.sluice.api.acl;

/**
 * How an ACL's resource name matches (Kafka's {@code PatternType}): {@link #LITERAL} the name itself ({@code *}: every
 * resource of the type), {@link #PREFIXED} every name starting with it. {@link #ANY} and {@link #MATCH} only in a
 * filter: ANY any pattern type with exactly this name, MATCH every binding that would apply to a resource of this name.
 */
public enum PatternType {
  LITERAL, PREFIXED, ANY, MATCH;

  public static PatternType parse(String field, String text) {
    return AclNames.parse(PatternType.class, field, text);
  }
}
