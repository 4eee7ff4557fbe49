package io.sluice.api.acl;

import java.util.Locale;

/** Parses the ACL enums by their REST v3 names ({@code DESCRIBE_CONFIGS}) or Kafka's CLI names ({@code DescribeConfigs}). */
final class AclNames {
  private AclNames() {
  }

  static <E extends Enum<E>> E parse(Class<E> type, String field, String text) {
    if (text == null) {
      throw new IllegalArgumentException(field + " is required");
    }
    String wanted = text.replace("_", "").toUpperCase(Locale.ROOT);
    for (E e : type.getEnumConstants()) {
      if (e.name().replace("_", "").equals(wanted)) {
        return e;
      }
    }
    throw new IllegalArgumentException(field + " '" + text + "' is not one of " + java.util.Arrays.toString(
        type.getEnumConstants()));
  }
}
