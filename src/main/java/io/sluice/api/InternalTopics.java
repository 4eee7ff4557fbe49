package io.sluice.api;

import java.util.Set;

/**
 * Topics the broker creates and writes itself. Clients may read them but not write, create, grow or delete them
 * (Kafka's rule): their records are broker state, and one created by hand would have the wrong configs.
 */
public final class InternalTopics {
  /** The group coordinators' state: commits, generations, consumer instances. */
  public static final String CONSUMER_OFFSETS = "__consumer_offsets";
  /** The share groups' state (KIP-932): each share-partition's start offset and in-flight records' states. */
  public static final String SHARE_GROUP_STATE = "__share_group_state";
  public static final Set<String> ALL = Set.of(CONSUMER_OFFSETS, SHARE_GROUP_STATE);

  private InternalTopics() {
  }

  public static boolean isInternal(String topic) {
    return ALL.contains(topic);
  }

  /**
   * The connect workers' topics ({@code __connect_configs}, {@code __connect_status}, {@code __connect_offsets}):
   * written by the workers through the client API, so clients may produce to them, but not delete, create, grow,
   * reconfigure them or delete their records. A client's delete of {@code __connect_configs} lost every connector at
   * the next start and failed every config change meanwhile (404); Kafka leaves such topics to ACLs.
   */
  public static final Set<String> CONNECT = Set.of("__connect_configs", "__connect_status", "__connect_offsets");

  /**
   * The schema registry's topic (Confluent's default name): written by the brokers' registries through the client
   * API, protected as Connect's are. Deleted by hand it lost every schema id its serialized records name.
   */
  public static final String SCHEMAS = "_schemas";

  /** Whether a client may not delete, create, grow or reconfigure {@code topic}, nor delete its records. */
  public static boolean isManaged(String topic) {
    return ALL.contains(topic) || CONNECT.contains(topic) || SCHEMAS.equals(topic);
  }
}
