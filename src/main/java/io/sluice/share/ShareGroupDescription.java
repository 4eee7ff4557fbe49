package io.sluice.share;

import io.sluice.api.TopicPartition;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** A share group as {@code GET /share-groups/{group}} shows it. */
public record ShareGroupDescription(String group, String state, List<MemberView> members,
    List<PartitionView> partitions) implements Serializable {

  /** A member, its subscription and session timeout. */
  public record MemberView(String memberId, List<String> topics, long sessionTimeoutMs) implements Serializable {
  }

  /**
   * A share-partition: its start and end offsets (SPSO, SPEO) and how many in-flight records are in each state (by
   * the state's name).
   */
  public record PartitionView(TopicPartition tp, long startOffset, long endOffset, Map<String, Integer> inFlight)
      implements Serializable {
  }
}
