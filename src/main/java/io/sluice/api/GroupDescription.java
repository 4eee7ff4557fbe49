package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * A group as its coordinator sees it now.
 *
 * @param state Kafka's names ({@link GroupListing#state})
 * @param protocolType see {@link GroupListing#protocolType}
 * @param protocol the chosen protocol (member-assigned) or the server-side assignor's name
 * @param leaderId the leader member of a member-assigned group; empty otherwise
 */
public record GroupDescription(String groupId, String state, int generation, String protocolType, String protocol,
    String leaderId, List<Member> members) implements Serializable {
  public GroupDescription {
    members = List.copyOf(members);
  }

  /**
   * @param clientId the client's name (for REST consumer instances: the instance name)
   * @param partitions server-assigned: the member's partitions; empty for member-assigned
   * @param assignment member-assigned: the assignment the leader gave it (opaque); empty otherwise
   * @param groupInstanceId a static member's {@code group.instance.id}; null for a dynamic member
   */
  public record Member(String memberId, String clientId, String clientAddress, List<TopicPartition> partitions,
      byte[] assignment, String groupInstanceId) implements Serializable {
    public Member {
      partitions = List.copyOf(partitions);
      assignment = assignment.clone();
    }

    /** A dynamic member. */
    public Member(String memberId, String clientId, String clientAddress, List<TopicPartition> partitions,
        byte[] assignment) {
      this(memberId, clientId, clientAddress, partitions, assignment, null);
    }

    @Override
    public byte[] assignment() {
      return assignment.clone();
    }
  }
}
