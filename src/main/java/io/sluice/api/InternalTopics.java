package io.sluice.api;

import java.util.Set;

/**
 * Topics the broker creates and writes itself. Clients may read them but not write, create, grow or delete them
 * (Kafka's rule): their records are broker state, and one created by hand would have the wrong configs.
 */
public final class InternalTopics {
  /** The group coordinators' state: commits, generations, consumer instances. */
  public static final String CONSUMER_OFFSETS = "__consumer_offsets";
  public static final Set<String> ALL = Set.of(CONSUMER_OFFSETS);

  private InternalTopics() {
  }

  public static boolean isInternal(String topic) {
    return ALL.contains(topic);
  }
}
