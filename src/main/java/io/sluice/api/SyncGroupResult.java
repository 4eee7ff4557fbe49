package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * A member's assignment for the generation it synced.
 *
 * @param assignment member-assigned: what the leader gave this member (opaque bytes); empty for server-assigned
 * @param partitions server-assigned: the member's partitions; empty for member-assigned
 */
public record SyncGroupResult(String protocolType, String protocol, byte[] assignment, List<TopicPartition> partitions)
    implements Serializable {
  public SyncGroupResult {
    assignment = assignment.clone();
    partitions = List.copyOf(partitions);
  }

  @Override
  public byte[] assignment() {
    return assignment.clone();
  }
}
