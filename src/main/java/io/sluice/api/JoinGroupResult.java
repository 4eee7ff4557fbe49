package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * The answer to a join: the generation the member is now part of.
 *
 * @param memberId the member's id (chosen by the coordinator for a new member): send it with every later call
 * @param generation the generation; commits, syncs and heartbeats of another generation are refused
 *     (ILLEGAL_GENERATION)
 * @param protocolType member-assigned: the group's protocol type; server-assigned: {@value GroupService#SERVER_ASSIGNED}
 * @param protocol member-assigned: the protocol chosen for this generation (one every member supports);
 *     server-assigned: the assignor's name
 * @param leaderId member-assigned: the member that computes the assignment; empty for server-assigned
 * @param members member-assigned, and only in the leader's answer: every member with its metadata for
 *     {@code protocol}; empty otherwise
 * @param assignment server-assigned: the member's partitions in this generation; empty for member-assigned (their
 *     assignment comes with {@link GroupService#sync})
 */
public record JoinGroupResult(String memberId, int generation, String protocolType, String protocol,
    String leaderId, List<MemberMetadata> members, List<TopicPartition> assignment) implements Serializable {

  public JoinGroupResult {
    members = List.copyOf(members);
    assignment = List.copyOf(assignment);
  }

  public boolean isLeader() {
    return !leaderId.isEmpty() && leaderId.equals(memberId);
  }

  /** A member and its metadata for the chosen protocol, as the leader sees it. */
  public record MemberMetadata(String memberId, String clientId, byte[] metadata) implements Serializable {
    public MemberMetadata {
      metadata = metadata.clone();
    }

    @Override
    public byte[] metadata() {
      return metadata.clone();
    }
  }
}
