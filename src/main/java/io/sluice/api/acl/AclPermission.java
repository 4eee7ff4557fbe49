package io.sluice.api.acl;

/** Whether a binding allows or denies; DENY wins over ALLOW. {@link #ANY} only in a filter. */
public enum AclPermission {
  ANY, ALLOW, DENY;

  public static AclPermission parse(String field, String text) {
    return AclNames.parse(AclPermission.class, field, text);
  }
}
