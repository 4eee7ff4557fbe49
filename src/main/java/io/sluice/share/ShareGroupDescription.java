package io.sluice.share;

import io.sluice.api.TopicPartition;
import java.util.List;
import java.util.Map;

/** A share group as {@code GET /share-groups/{group}} shows it. */
record ShareGroupDescription(String group, String state, List<MemberView> members, List<PartitionView> partitions) {

  /** A member, its subscription and session timeout. */
  record MemberView(String memberId, List<String> topics, long sessionTimeoutMs) {
  }

  /** A share-partition: its start and end offsets (SPSO, SPEO) and how many in-flight records are in each state. */
  record PartitionView(TopicPartition tp, long startOffset, long endOffset,
      Map<SharePartition.State, Integer> inFlight) {
  }
}
