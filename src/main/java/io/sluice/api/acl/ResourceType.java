package io.sluice.api.acl;

/** What an ACL protects (Kafka's {@code ResourceType}); {@link #ANY} only in a filter. */
public enum ResourceType {
  ANY, TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID;

  /** The one cluster resource's name, as Kafka names it. */
  public static final String CLUSTER_NAME = "kafka-cluster";

  public static ResourceType parse(String field, String text) {
    return AclNames.parse(ResourceType.class, field, text);
  }
}
