package io.sluice.client;

import java.util.List;

/** A consumer group's state, generation, assignor and members with their partitions. Immutable. */
public record GroupDescription(String groupId, String state, int generation, String assignor, List<Member> members) {
  public GroupDescription {
    members = List.copyOf(members);
  }

  /**
   * A member: its id in the group, the consumer instance behind it, its partitions, and a static member's
   * {@code group.instance.id} (null for a dynamic member).
   */
  public record Member(String memberId, String instanceId, List<TopicPartition> partitions, String groupInstanceId) {
    public Member {
      partitions = List.copyOf(partitions);
    }

    /** A dynamic member. */
    public Member(String memberId, String instanceId, List<TopicPartition> partitions) {
      this(memberId, instanceId, partitions, null);
    }
  }
}
