package io.sluice.api;

import java.io.Serializable;
import java.util.Map;

/**
 * What a transactional producer sends with Kafka's sendOffsetsToTransaction (TxnOffsetCommit, KIP-447's consumer
 * group metadata): the group's offsets to commit with the transaction. A {@code memberId} (or a {@code generation}
 * of 0 or more) is fenced as a member's commit is; without both, the group does not check who sends (as Kafka's
 * TxnOffsetCommit before KIP-447).
 *
 * @param memberId the consumer's member id, or null
 * @param generation the consumer's generation, or -1
 */
public record TxnOffsets(String groupId, String memberId, int generation, Map<TopicPartition, OffsetCommit> offsets)
    implements Serializable {
  public TxnOffsets {
    offsets = Map.copyOf(offsets);
  }

  /** Whether the group checks the member and generation (KIP-447). */
  public boolean fenced() {
    return memberId != null || generation >= 0;
  }
}
