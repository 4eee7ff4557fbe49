package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * A consumer instance's place in its group as a client last saw it: its member id and generation, and the partitions
 * it owns. A client names the member id and generation with its commits ({@link ConsumerService#commit(RequestContext,
 * String, String, java.util.Map, InstanceMembership)}) so that the group refuses them once the group moved on (Kafka's
 * OffsetCommit fields): a zombie that lost its partitions in a rebalance cannot overwrite their new owner's commits.
 *
 * @param memberId the member id, or null outside the group protocol (a manual assignment, not joined yet)
 * @param generationId the generation the member's assignment belongs to, or -1
 * @param partitions the partitions owned; empty in a commit's fence
 */
public record InstanceMembership(String memberId, int generationId, List<TopicPartition> partitions)
    implements Serializable {
  public InstanceMembership {
    partitions = List.copyOf(partitions);
  }

  /** A commit's fence: the member and generation it was made under. */
  public static InstanceMembership fence(String memberId, int generationId) {
    return new InstanceMembership(memberId, generationId, List.of());
  }
}
