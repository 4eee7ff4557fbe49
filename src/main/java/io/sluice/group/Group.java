package io.sluice.group;

import io.sluice.api.GroupProtocol;
import io.sluice.api.GroupService;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.Subscription;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
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
 *
 * <p>A group is server-assigned or member-assigned ({@link JoinGroupRequest}), decided by its first member and kept
 * until it is empty again. Server-assigned: the coordinator computes the assignment as soon as it may
 * ({@link #completeRebalance}); members see it with {@link #acknowledge}. Member-assigned (Kafka's protocol): a
 * rebalance holds every join ({@link #joinMember}) until all members rejoined or the largest rebalance timeout passed
 * ({@link #maybeCompleteJoin}, which drops the stragglers and starts the generation); then the leader's
 * {@link #sync} installs every member's assignment. A member waiting for its join or sync answer is kept alive; one
 * that did not sync when the rebalance timeout passed again is dropped ({@link #expire}).
 */
public final class Group {
  private final String groupId;
  private final SortedMap<String, Member> members = new TreeMap<>();
  /** Static members (KIP-345): each {@code group.instance.id} and the member id holding it now. */
  private final Map<String, String> staticMembers = new java.util.HashMap<>();
  private GroupState state = GroupState.EMPTY;
  private int generation;
  private String assignorName = "range";
  /** Partition counts the current assignment was computed from; a change triggers a rebalance. */
  private Map<String, Integer> assignedFrom = Map.of();
  /** Null while the group has no members; then whether its members assign partitions themselves. */
  private Boolean memberAssigned;
  private String protocolType = "";
  /** Member-assigned: the protocol chosen for the current generation, and the member that computes assignments. */
  private String protocol = "";
  private String leaderId = "";
  /** Member-assigned: when the join phase (or, completing, the wait for the leader's sync) gives up; -1 unarmed. */
  private long rebalanceDeadlineMs = -1;
  /**
   * Whether the group had members (Kafka: it has a protocol type), here or before a restart: its commits then expire
   * a retention after it became empty, not each a retention after it was written (a standalone consumer's).
   */
  private boolean hadMembers;
  /** When a group that had members was last seen empty (the coordinator's clock, persisted); -1 unknown or not empty. */
  private long emptySinceMs = -1;

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
   * Restores a group record read back from the offsets topic: the group had members, and was empty since
   * {@code emptySinceMs} (-1: it had members when the record was written, so when they went is not known).
   */
  public void restoreEmptySince(long persisted) {
    hadMembers = true;
    if (members.isEmpty()) {
      emptySinceMs = persisted;
    }
  }

  /**
   * Restores the static members a new coordinator read back ({@link StaticMembers}): the group is stable in its
   * persisted generation with their partitions, so each that rejoins within its session timeout takes its own back
   * without a rebalance ({@link #join}); one that does not is expired and the group rebalances then. Only into a group
   * without members.
   */
  void restoreStaticMembers(List<Member> restored, String assignor, Map<String, Integer> partitionCounts) {
    if (!members.isEmpty() || restored.isEmpty()) {
      return;
    }
    restored.forEach(m -> {
      m.seenGeneration(generation);
      members.put(m.memberId(), m);
      staticMembers.put(m.groupInstanceId(), m.memberId());
    });
    memberAdded();
    memberAssigned = false;
    assignorName = Assignor.named(assignor).name();
    assignedFrom = Map.copyOf(partitionCounts);
    state = GroupState.STABLE;
  }

  /** Whether the group had members (here, or before its record was read back). */
  public boolean hadMembers() {
    return hadMembers;
  }

  /** When the group was last seen without members, if it had some; -1 if unknown or if it has members. */
  public long emptySinceMs() {
    return members.isEmpty() ? emptySinceMs : -1;
  }

  /** The coordinator saw the group, which had members, empty at {@code nowMs}: its commits' retention starts. */
  public void markEmptySince(long nowMs) {
    if (members.isEmpty() && hadMembers) {
      emptySinceMs = nowMs;
    }
  }

  private void memberAdded() {
    hadMembers = true;
    emptySinceMs = -1;
  }

  /**
   * Adds a member; the group must rebalance. The first member chooses the assignor; a later member must name the
   * same one (an instance that names none has {@code range}, the default). Kafka picks a protocol every member
   * supports and refuses a member that supports none of the group's; each member here supports exactly one.
   *
   * @throws SluiceException INCONSISTENT_GROUP_PROTOCOL (409) if the group has members using another assignor
   */
  public Member join(String clientId, Subscription subscription, long sessionTimeoutMs, String assignor, long nowMs) {
    return join(clientId, subscription, sessionTimeoutMs, assignor, nowMs, null);
  }

  /**
   * {@link #join(String, Subscription, long, String, long)} as a static member when {@code groupInstanceId} is not
   * null (KIP-345): a member already holding the instance id is replaced by the new one, which takes its partitions
   * in the current generation, and the group does not rebalance unless the subscription changed; the member replaced
   * is gone (its instance is fenced: {@link #fencedBy}).
   */
  public Member join(String clientId, Subscription subscription, long sessionTimeoutMs, String assignor, long nowMs,
      String groupInstanceId) {
    String named = Assignor.named(assignor).name();
    if (Boolean.TRUE.equals(memberAssigned)) {
      throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Consumer '" + clientId + "' asks the"
          + " broker to assign partitions, but the members of group '" + groupId + "' assign them themselves"
          + " (protocol type '" + protocolType + "'); use another group id or wait until the group is empty");
    }
    if (members.isEmpty()) {
      assignorName = named;
      memberAssigned = false;
    } else if (!named.equals(assignorName)) {
      throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Consumer '" + clientId + "' names"
          + " partition.assignment.strategy '" + named + "' but the members of group '" + groupId + "' use '"
          + assignorName + "'; create the instance with '" + assignorName + "' or wait until the group is empty");
    }
    Member m = new Member(clientId + "-" + UUID.randomUUID(), clientId, subscription, sessionTimeoutMs, nowMs,
        groupInstanceId);
    String holder = groupInstanceId == null ? null : staticMembers.get(groupInstanceId);
    Member replaced = holder == null ? null : members.remove(holder);
    members.put(m.memberId(), m);
    memberAdded();
    if (groupInstanceId != null) {
      staticMembers.put(groupInstanceId, m.memberId());
    }
    if (replaced == null) {
      prepareRebalance();
    } else {
      // Kafka's static rejoin: same partitions, same generation; the others are not disturbed.
      m.assignment(replaced.assignment());
      if (!replaced.subscription().equals(subscription)) {
        prepareRebalance();
      }
    }
    return m;
  }

  /**
   * The member id now holding {@code groupInstanceId} when it is not {@code memberId}: a member that held it was
   * replaced by a newer static member (Kafka's FENCED_INSTANCE_ID). Empty when {@code memberId} holds it or nobody
   * does (its session expired, it left or was removed: it may join again).
   */
  public Optional<String> fencedBy(String groupInstanceId, String memberId) {
    String holder = staticMembers.get(groupInstanceId);
    return holder == null || holder.equals(memberId) ? Optional.empty() : Optional.of(holder);
  }

  /** The member holding {@code groupInstanceId} now, if any. */
  public Optional<Member> staticHolder(String groupInstanceId) {
    String holder = groupInstanceId == null ? null : staticMembers.get(groupInstanceId);
    return Optional.ofNullable(holder == null ? null : members.get(holder));
  }

  /**
   * Undoes {@code replacement}'s static takeover of {@code replaced}'s place ({@link #join}) whose group record could
   * not be written, as Kafka reverts it: the replaced member holds the id and its partitions again. Does nothing once
   * {@code replacement} no longer holds the id (it left, expired, or another member took the id since).
   */
  void undoStaticReplacement(Member replacement, Member replaced) {
    String id = replacement.groupInstanceId();
    if (!replacement.memberId().equals(staticMembers.get(id)) || !members.containsKey(replacement.memberId())) {
      return;
    }
    members.remove(replacement.memberId());
    members.put(replaced.memberId(), replaced);
    staticMembers.put(id, replaced.memberId());
  }

  /**
   * Removes the static member holding {@code groupInstanceId} (Kafka's removeMembersFromConsumerGroup); the group
   * must rebalance. Returns its member id, or empty if none holds it.
   */
  public Optional<String> removeStatic(String groupInstanceId) {
    String memberId = staticMembers.get(groupInstanceId);
    return memberId != null && leave(memberId) ? Optional.of(memberId) : Optional.empty();
  }

  /** Changes a server-assigned member's subscription; the group must rebalance if it changed. */
  public void resubscribe(String memberId, Subscription subscription) {
    Member m = requireMember(memberId);
    if (isMemberAssigned()) {
      throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Member " + memberId + " of group '" + groupId
          + "' assigns partitions itself; it cannot rejoin as a member the broker assigns them to");
    }
    if (!m.subscription().equals(subscription)) {
      m.subscription(subscription);
      prepareRebalance();
    }
  }

  /** Removes a member; returns false if it was not one. */
  public boolean leave(String memberId) {
    Member m = members.remove(memberId);
    if (m == null) {
      return false;
    }
    forgetStatic(m);
    membershipShrank();
    return true;
  }

  /**
   * Removes every member whose last heartbeat is older than its session timeout (a member waiting for its join or
   * sync answer is alive), and in a member-assigned group completing a rebalance whose leader did not send the
   * assignment within the rebalance timeout, every member that did not sync; returns their ids.
   */
  public List<String> expire(long nowMs) {
    List<String> expired = new ArrayList<>();
    boolean syncTimedOut = Boolean.TRUE.equals(memberAssigned) && state == GroupState.COMPLETING_REBALANCE
        && rebalanceDeadlineMs >= 0 && nowMs >= rebalanceDeadlineMs;
    members.values().removeIf(m -> {
      boolean waiting = m.awaitingJoin() || m.awaitingSync();
      boolean dead = !waiting && nowMs - m.lastHeartbeatMs() > m.sessionTimeoutMs() || syncTimedOut && !m.awaitingSync();
      if (dead) {
        expired.add(m.memberId());
        forgetStatic(m);
      }
      return dead;
    });
    if (!expired.isEmpty()) {
      membershipShrank();
    }
    return expired;
  }

  private void forgetStatic(Member m) {
    if (m.groupInstanceId() != null) {
      staticMembers.remove(m.groupInstanceId(), m.memberId());
    }
  }

  private void membershipShrank() {
    if (members.isEmpty()) {
      state = GroupState.EMPTY;
      generation++;
      assignedFrom = Map.of();
      memberAssigned = null;
      protocolType = "";
      protocol = "";
      leaderId = "";
      rebalanceDeadlineMs = -1;
    } else {
      prepareRebalance();
    }
  }

  private void prepareRebalance() {
    if (state != GroupState.PREPARING_REBALANCE) {
      state = GroupState.PREPARING_REBALANCE;
      rebalanceDeadlineMs = -1;
      members.values().forEach(m -> m.awaitingSync(false));
    }
  }

  public void heartbeat(String memberId, long nowMs) {
    requireMember(memberId).heartbeat(nowMs);
  }

  /** Marks the group as needing a new assignment (for example a subscribed topic gained partitions). */
  public void requestRebalance() {
    if (!members.isEmpty()) {
      prepareRebalance();
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
    if (memberId != null && Boolean.TRUE.equals(memberAssigned)) {
      checkMemberAssignedCommit(memberId, memberGeneration);
      return;
    }
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

  /** Whether the members assign partitions themselves; false for a server-assigned group or one without members. */
  public boolean isMemberAssigned() {
    return Boolean.TRUE.equals(memberAssigned);
  }

  /** The members' protocol type, {@link GroupService#SERVER_ASSIGNED}, or empty without members. */
  public String protocolType() {
    return memberAssigned == null ? "" : memberAssigned ? protocolType : GroupService.SERVER_ASSIGNED;
  }

  /** The chosen protocol of a member-assigned group, else the server-side assignor's name. */
  public String protocol() {
    return isMemberAssigned() ? protocol : assignorName;
  }

  /** The leader member of a member-assigned group (empty before its first generation, or server-assigned). */
  public String leaderId() {
    return isMemberAssigned() ? leaderId : "";
  }

  /**
   * Member-assigned join (Kafka's JoinGroup). A new member (empty id) gets an id and the group prepares a rebalance;
   * a known member rejoining causes one if its protocols changed, or if it is the leader of a stable group (Kafka's
   * way for the leader to ask for one, say after a topic grew). While the group prepares a rebalance the member then
   * waits ({@link Member#awaitingJoin}) for {@link #maybeCompleteJoin}; otherwise it is answered with the current
   * generation at once.
   *
   * @throws SluiceException UNKNOWN_MEMBER_ID, or INCONSISTENT_GROUP_PROTOCOL for a member of a server-assigned group,
   *     of another protocol type, or sharing no protocol with every other member
   */
  public Member joinMember(JoinGroupRequest r, String clientAddress, long nowMs) {
    checkCompatible(r);
    Member m;
    if (r.memberId().isEmpty()) {
      m = new Member(r.clientId() + "-" + UUID.randomUUID(), r.clientId(), null, r.sessionTimeoutMs(), nowMs);
      members.put(m.memberId(), m);
      memberAdded();
      m.protocols(r.protocols(), r.rebalanceTimeoutMs(), clientAddress);
      prepareRebalance();
    } else {
      m = requireMember(r.memberId());
      if (!isMemberAssigned()) {
        throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Member " + r.memberId() + " of group '"
            + groupId + "' is assigned partitions by the broker; it cannot rejoin as a member that assigns them");
      }
      boolean changed = !m.protocols().equals(r.protocols());
      m.protocols(r.protocols(), r.rebalanceTimeoutMs(), clientAddress);
      m.heartbeat(nowMs);
      if (changed && state != GroupState.EMPTY || state == GroupState.STABLE && m.memberId().equals(leaderId)) {
        prepareRebalance();
      }
    }
    memberAssigned = true;
    protocolType = r.protocolType();
    if (state == GroupState.PREPARING_REBALANCE) {
      m.awaitingJoin(true);
    }
    return m;
  }

  private void checkCompatible(JoinGroupRequest r) {
    boolean others = members.keySet().stream().anyMatch(id -> !id.equals(r.memberId()));
    if (!others) {
      return;
    }
    if (!isMemberAssigned()) {
      throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Member '" + r.clientId() + "' assigns"
          + " partitions itself, but the broker assigns those of group '" + groupId + "' (its members are REST"
          + " consumer instances); use another group id or wait until the group is empty");
    }
    if (!protocolType.equals(r.protocolType())) {
      throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Member '" + r.clientId() + "' speaks"
          + " protocol type '" + r.protocolType() + "' but group '" + groupId + "' uses '" + protocolType + "'");
    }
    if (commonProtocols(r.memberId(), r.protocols()).isEmpty()) {
      throw new SluiceException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "Member '" + r.clientId() + "' supports "
          + r.protocols().stream().map(GroupProtocol::name).toList() + ", none of which every member of group '"
          + groupId + "' supports");
    }
  }

  /** The protocol names every member (with {@code memberId}'s given as {@code protocols}) supports, in its order. */
  private List<String> commonProtocols(String memberId, List<GroupProtocol> protocols) {
    List<String> common = new ArrayList<>(protocols.stream().map(GroupProtocol::name).toList());
    members.forEach((id, m) -> {
      if (!id.equals(memberId)) {
        common.retainAll(m.protocols().stream().map(GroupProtocol::name).toList());
      }
    });
    return common;
  }

  /**
   * Member-assigned, while preparing a rebalance: once every member has rejoined, or the largest rebalance timeout
   * since the rebalance began has passed (the members that did not rejoin are dropped), starts the next generation
   * with a protocol every member supports (each member votes for its first such, as Kafka does) and a leader (the
   * previous one if it rejoined); the group then completes the rebalance, waiting for the leader's sync. Returns the
   * members whose joins are answered now; empty while the join phase goes on.
   */
  public List<Member> maybeCompleteJoin(long nowMs) {
    if (!isMemberAssigned() || state != GroupState.PREPARING_REBALANCE) {
      return List.of();
    }
    if (rebalanceDeadlineMs < 0) {
      rebalanceDeadlineMs = nowMs + maxRebalanceTimeoutMs();
    }
    if (!members.values().stream().allMatch(Member::awaitingJoin) && nowMs < rebalanceDeadlineMs) {
      return List.of();
    }
    members.values().removeIf(m -> !m.awaitingJoin());
    staticMembers.values().retainAll(members.keySet());
    if (members.isEmpty()) {
      membershipShrank();
      return List.of();
    }
    generation++;
    protocol = electProtocol();
    if (!members.containsKey(leaderId)) {
      leaderId = members.firstKey();
    }
    members.values().forEach(m -> {
      m.awaitingJoin(false);
      m.memberAssignment(null);
      m.heartbeat(nowMs);
    });
    state = GroupState.COMPLETING_REBALANCE;
    rebalanceDeadlineMs = nowMs + maxRebalanceTimeoutMs();
    return new ArrayList<>(members.values());
  }

  private long maxRebalanceTimeoutMs() {
    return members.values().stream().mapToLong(Member::rebalanceTimeoutMs).max().orElse(0);
  }

  private String electProtocol() {
    Member any = members.get(members.firstKey());
    List<String> candidates = commonProtocols(any.memberId(), any.protocols());
    Map<String, Integer> votes = new LinkedHashMap<>();
    candidates.forEach(c -> votes.put(c, 0));
    members.values().forEach(m -> m.protocols().stream().map(GroupProtocol::name).filter(candidates::contains)
        .findFirst().ifPresent(c -> votes.merge(c, 1, Integer::sum)));
    return votes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  /**
   * Member-assigned sync (Kafka's SyncGroup). The leader's installs every member's assignment (a member missing from
   * {@code assignments} gets an empty one) and makes the group stable. Returns whether the member's assignment is
   * there to answer with ({@link Member#memberAssignment}); false: it waits for the leader's sync.
   *
   * A server-assigned member's sync acknowledges the assignment its join answered with.
   *
   * @throws SluiceException UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS (rejoin)
   */
  public boolean sync(String memberId, int memberGeneration, Map<String, byte[]> assignments, long nowMs) {
    Member m = requireMember(memberId);
    checkGeneration(memberId, memberGeneration);
    if (state == GroupState.PREPARING_REBALANCE) {
      throw rebalancing();
    }
    m.heartbeat(nowMs);
    if (!isMemberAssigned()) {
      acknowledge(memberId); // server-assigned: the assignment is there; the member has now seen it
      return true;
    }
    if (state == GroupState.STABLE) {
      return true;
    }
    m.awaitingSync(true);
    if (!memberId.equals(leaderId)) {
      return false;
    }
    members.forEach((id, x) -> {
      x.memberAssignment(assignments.get(id));
      x.awaitingSync(false);
      x.seenGeneration(generation);
    });
    state = GroupState.STABLE;
    rebalanceDeadlineMs = -1;
    return true;
  }

  /**
   * A member's heartbeat with its generation (Kafka's rules; for either kind of group).
   *
   * @throws SluiceException UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, or REBALANCE_IN_PROGRESS (the heartbeat counts;
   *     the member must rejoin)
   */
  public void heartbeat(String memberId, int memberGeneration, long nowMs) {
    Member m = requireMember(memberId);
    checkGeneration(memberId, memberGeneration);
    m.heartbeat(nowMs);
    if (state == GroupState.PREPARING_REBALANCE) {
      throw rebalancing();
    }
  }

  /** Kafka accepts a commit of the current generation while the group prepares a rebalance, not while completing. */
  private void checkMemberAssignedCommit(String memberId, int memberGeneration) {
    requireMember(memberId);
    checkGeneration(memberId, memberGeneration);
    if (state == GroupState.COMPLETING_REBALANCE) {
      throw rebalancing();
    }
  }

  private void checkGeneration(String memberId, int memberGeneration) {
    if (memberGeneration != generation) {
      throw new SluiceException(ErrorCode.ILLEGAL_GENERATION, "Member " + memberId + " is at generation "
          + memberGeneration + " but group '" + groupId + "' is at generation " + generation + "; rejoin");
    }
  }

  private SluiceException rebalancing() {
    return new SluiceException(ErrorCode.REBALANCE_IN_PROGRESS, "Group '" + groupId + "' is rebalancing; rejoin");
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
