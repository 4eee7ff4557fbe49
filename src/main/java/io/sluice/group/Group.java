package io.sluice.group;

import io.sluice.api.Subscription;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The membership state machine of one consumer group ({@link GroupState}): members, the generation, and who owns
 * which partition. Pure: no I/O and no clock of its own (callers pass {@code nowMs}), so tests drive it directly.
 * Confined to the coordinator's context.
 *
 * <p>Invariants: in {@link GroupState#EMPTY} there are no members; a partition has at most one owner; the
 * generation only grows (it also survives restarts, restored from the offsets topic); a commit is accepted only
 * from a current member that has seen the current generation, or, with generation -1, while the group has no
 * members (a consumer that assigns partitions itself).
 */
public final class Group {
  private final String groupId;
  private final SortedMap<String, Member> members = new TreeMap<>();
  private GroupState state = GroupState.EMPTY;
  private int generation;
  private String assignorName = "range";
  /** Partition counts the current assignment was computed from; a change triggers a rebalance. */
  private Map<String, Integer> assignedFrom = Map.of();

  public Group(String groupId) {
    this.groupId = groupId;
  }

  public String groupId() {
    return groupId;
  }

  public GroupState state() {
    return state;
  }

  public int generation() {
    return generation;
  }

  public String assignorName() {
    return assignorName;
  }

  public Map<String, Integer> assignedFrom() {
    return assignedFrom;
  }

  /** Members by id. */
  public SortedMap<String, Member> members() {
    return Collections.unmodifiableSortedMap(members);
  }

  public Optional<Member> member(String memberId) {
    return Optional.ofNullable(memberId == null ? null : members.get(memberId));
  }

  /** Restores the generation read back from the offsets topic, so generations never repeat across restarts. */
  public void restoreGeneration(int persisted) {
    generation = Math.max(generation, persisted);
  }

  /**
   * Adds a member; the group must rebalance. The first member chooses the assignor; a later member must name the
   * same one (an instance that names none has {@code range}, the default). Kafka picks a protocol every member
   * supports and refuses a member that supports none of the group's; each member here supports exactly one.
   *
   * @throws SluiceException INCONSISTENT_GROUP_PROTOCOL (409) if the group has members using another assignor
   */
  public Member join(String clientId, Subscription subscription, long sessionTimeoutMs, String assignor, long nowMs) {
    String named = Assignor.named(assignor).name();
    if (members.isEmpty()) {
      assignorName = named;
    } else if (!named.equals(assignorName)) {
      throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Consumer '" + clientId + "' names"
          + " partition.assignment.strategy '" + named + "' but the members of group '" + groupId + "' use '"
          + assignorName + "'; create the instance with '" + assignorName + "' or wait until the group is empty");
    }
    Member m = new Member(clientId + "-" + UUID.randomUUID(), clientId, subscription, sessionTimeoutMs, nowMs);
    members.put(m.memberId(), m);
    state = GroupState.PREPARING_REBALANCE;
    return m;
  }

  /** Changes a member's subscription; the group must rebalance if it changed. */
  public void resubscribe(String memberId, Subscription subscription) {
    Member m = requireMember(memberId);
    if (!m.subscription().equals(subscription)) {
      m.subscription(subscription);
      state = GroupState.PREPARING_REBALANCE;
    }
  }

  /** Removes a member; returns false if it was not one. */
  public boolean leave(String memberId) {
    if (members.remove(memberId) == null) {
      return false;
    }
    membershipShrank();
    return true;
  }

  /** Removes every member whose last heartbeat is older than its session timeout; returns their ids. */
  public List<String> expire(long nowMs) {
    List<String> expired = new ArrayList<>();
    members.values().removeIf(m -> {
      boolean dead = nowMs - m.lastHeartbeatMs() > m.sessionTimeoutMs();
      if (dead) {
        expired.add(m.memberId());
      }
      return dead;
    });
    if (!expired.isEmpty()) {
      membershipShrank();
    }
    return expired;
  }

  private void membershipShrank() {
    if (members.isEmpty()) {
      state = GroupState.EMPTY;
      generation++;
      assignedFrom = Map.of();
    } else {
      state = GroupState.PREPARING_REBALANCE;
    }
  }

  public void heartbeat(String memberId, long nowMs) {
    requireMember(memberId).heartbeat(nowMs);
  }

  /** Marks the group as needing a new assignment (for example a subscribed topic gained partitions). */
  public void requestRebalance() {
    if (!members.isEmpty()) {
      state = GroupState.PREPARING_REBALANCE;
    }
  }

  /** Each member's subscription with patterns resolved against {@code topics}, by member id. */
  public SortedMap<String, Set<String>> resolvedSubscriptions(List<String> topics) {
    SortedMap<String, Set<String>> resolved = new TreeMap<>();
    members.forEach((id, m) -> resolved.put(id, m.subscription().resolve(topics)));
    return resolved;
  }

  /**
   * Installs a new assignment as the next generation: the group goes to COMPLETING_REBALANCE until every
   * member has seen it ({@link #acknowledge}). Members absent from {@code assignment} get nothing.
   */
  public void completeRebalance(Map<String, List<TopicPartition>> assignment, Map<String, Integer> partitionCounts) {
    if (state != GroupState.PREPARING_REBALANCE) {
      throw new IllegalStateException("group " + groupId + " is " + state + ", not preparing a rebalance");
    }
    generation++;
    assignedFrom = Map.copyOf(partitionCounts);
    members.forEach((id, m) -> m.assignment(assignment.getOrDefault(id, List.of())));
    state = GroupState.COMPLETING_REBALANCE;
  }

  /** The member has seen the current generation's assignment; the last one to do so makes the group STABLE. */
  public void acknowledge(String memberId) {
    Member m = requireMember(memberId);
    if (state == GroupState.PREPARING_REBALANCE) {
      return;
    }
    m.seenGeneration(generation);
    if (state == GroupState.COMPLETING_REBALANCE
        && members.values().stream().allMatch(x -> x.seenGeneration() == generation)) {
      state = GroupState.STABLE;
    }
  }

  /** The current assignment by member id. */
  public Map<String, List<TopicPartition>> assignment() {
    Map<String, List<TopicPartition>> a = new TreeMap<>();
    members.forEach((id, m) -> a.put(id, m.assignment()));
    return a;
  }

  /**
   * Checks that a commit may be written. {@code memberId} null with {@code generation} -1 is a consumer outside
   * the group protocol (manual assignment), allowed only while the group has no members.
   *
   * @throws SluiceException UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION
   */
  public void checkCommit(String memberId, int memberGeneration) {
    if (memberId == null) {
      if (memberGeneration < 0 && members.isEmpty()) {
        return;
      }
      throw new SluiceException(ErrorCode.ILLEGAL_GENERATION, "Group '" + groupId + "' has active members"
          + " (generation " + generation + "); a commit from outside the group is refused");
    }
    Member m = members.get(memberId);
    if (m == null) {
      throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in group '"
          + groupId + "' (it left or missed its session timeout); poll to rejoin");
    }
    if (state == GroupState.PREPARING_REBALANCE) {
      throw new SluiceException(ErrorCode.REBALANCE_IN_PROGRESS, "Group '" + groupId + "' is rebalancing");
    }
    if (memberGeneration != generation) {
      throw new SluiceException(ErrorCode.ILLEGAL_GENERATION, "Commit from generation " + memberGeneration
          + " refused: group '" + groupId + "' is at generation " + generation + "; poll to get the new assignment");
    }
  }

  private Member requireMember(String memberId) {
    Member m = members.get(memberId);
    if (m == null) {
      throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in group '"
          + groupId + "'");
    }
    return m;
  }
}
