package io.sluice.client;

import java.util.List;

/** A consumer group's state, generation, assignor and members with their partitions. Immutable. */
public record GroupDescription(String groupId, String state, int generation, String assignor, List<Member> members) {
  public GroupDescription {
    members = List.copyOf(members);
  }

  /** A member: its id in the group, the consumer instance behind it and its partitions. */
  public record Member(String memberId, String instanceId, List<TopicPartition> partitions) {
    public Member {
      partitions = List.copyOf(partitions);
    }
  }
}
