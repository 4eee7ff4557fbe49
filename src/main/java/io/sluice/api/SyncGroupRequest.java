package io.sluice.api;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * After a join: every member of a member-assigned group asks for its assignment; the leader sends everyone's.
 *
 * @param assignments the leader's: each member's assignment, opaque to the coordinator (Kafka's consumer protocol:
 *     its partitions); empty from the other members. A member missing from the leader's map gets an empty assignment.
 */
public record SyncGroupRequest(String groupId, String memberId, int generation, Map<String, byte[]> assignments)
    implements Serializable {
  public SyncGroupRequest {
    Map<String, byte[]> copy = new TreeMap<>();
    if (assignments != null) {
      assignments.forEach((m, a) -> copy.put(m, a.clone()));
    }
    assignments = copy;
  }

  /** A follower's sync: it sends no assignment. */
  public static SyncGroupRequest follower(String groupId, String memberId, int generation) {
    return new SyncGroupRequest(groupId, memberId, generation, Map.of());
  }
}
