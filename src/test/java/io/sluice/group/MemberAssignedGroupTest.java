package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.GroupProtocol;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.Subscription;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * The member-assigned half of the group state machine (Kafka's group protocol), driven with explicit times: the join
 * barrier, the leader's sync, heartbeats, leaving, session and rebalance timeouts, and fencing of stale generations.
 */
class MemberAssignedGroupTest {
  private static final long SESSION_MS = 1_000;
  private static final long REBALANCE_MS = 3_000;

  private static JoinGroupRequest join(String memberId, String client, String... protocols) {
    List<GroupProtocol> ps = java.util.Arrays.stream(protocols)
        .map(p -> new GroupProtocol(p, (client + ":" + p).getBytes(StandardCharsets.UTF_8))).toList();
    return JoinGroupRequest.memberAssigned("g", memberId, client, SESSION_MS, REBALANCE_MS, "consumer", ps);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertCode(ThrowingCallable call, ErrorCode code) {
    assertThatThrownBy(call).isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(code);
  }

  /** Two members joined, generation 1 started, the leader synced "a-part"/"b-part"; returns {leader, follower}. */
  private static Member[] stableGroupOfTwo(Group g) {
    Member a = g.joinMember(join("", "a", "range"), "", 0);
    Member b = g.joinMember(join("", "b", "range"), "", 0);
    List<Member> answered = g.maybeCompleteJoin(10);
    assertThat(answered).containsExactlyInAnyOrder(a, b);
    Member leader = g.member(g.leaderId()).orElseThrow();
    Member follower = leader == a ? b : a;
    assertThat(g.sync(follower.memberId(), g.generation(), Map.of(), 20)).isFalse();
    assertThat(g.sync(leader.memberId(), g.generation(), Map.of(leader.memberId(), bytes("leader-part"),
        follower.memberId(), bytes("follower-part")), 20)).isTrue();
    return new Member[] {leader, follower};
  }

  @Test
  void theJoinPhaseWaitsForEveryMemberThenTheLeadersSyncDeliversEachMembersAssignment() {
    Group g = new Group("g");
    Member a = g.joinMember(join("", "a", "range"), "127.0.0.1:1", 0);
    assertThat(a.memberId()).startsWith("a-");
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(a.awaitingJoin()).isTrue();
    // Alone and every member joined: the generation starts at once; a is its leader.
    assertThat(g.maybeCompleteJoin(5)).containsExactly(a);
    assertThat(g.generation()).isEqualTo(1);
    assertThat(g.leaderId()).isEqualTo(a.memberId());
    assertThat(g.state()).isEqualTo(GroupState.COMPLETING_REBALANCE);
    assertThat(g.sync(a.memberId(), 1, Map.of(a.memberId(), bytes("all")), 6)).isTrue();
    assertThat(g.state()).isEqualTo(GroupState.STABLE);
    assertThat(a.memberAssignment()).isEqualTo(bytes("all"));

    // b joins: a must rejoin before the next generation starts.
    Member b = g.joinMember(join("", "b", "range"), "", 100);
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(g.maybeCompleteJoin(101)).as("a has not rejoined yet").isEmpty();
    assertCode(() -> g.heartbeat(a.memberId(), 1, 102), ErrorCode.REBALANCE_IN_PROGRESS);
    g.joinMember(join(a.memberId(), "a", "range"), "", 103);
    assertThat(g.maybeCompleteJoin(104)).containsExactlyInAnyOrder(a, b);
    assertThat(g.generation()).isEqualTo(2);
    assertThat(g.leaderId()).as("the leader keeps its role").isEqualTo(a.memberId());
    assertThat(g.members().get(b.memberId()).metadata("range")).isEqualTo(bytes("b:range"));

    // The follower waits for the leader; the leader's sync gives each member its part.
    assertThat(g.sync(b.memberId(), 2, Map.of(), 105)).isFalse();
    assertThat(b.awaitingSync()).isTrue();
    assertThat(g.sync(a.memberId(), 2, Map.of(a.memberId(), bytes("p0"), b.memberId(), bytes("p1")), 106)).isTrue();
    assertThat(g.state()).isEqualTo(GroupState.STABLE);
    assertThat(a.memberAssignment()).isEqualTo(bytes("p0"));
    assertThat(b.memberAssignment()).isEqualTo(bytes("p1"));
    g.heartbeat(b.memberId(), 2, 107);
  }

  @Test
  void staleGenerationsAreFencedFromSyncHeartbeatAndCommit() {
    Group g = new Group("g");
    Member[] ab = stableGroupOfTwo(g);
    int old = g.generation();
    g.checkCommit(ab[1].memberId(), old);
    Member c = g.joinMember(join("", "c", "range"), "", 30);
    // While preparing, Kafka still takes commits of the current generation (members commit before they rejoin).
    g.checkCommit(ab[1].memberId(), old);
    g.joinMember(join(ab[0].memberId(), "a", "range"), "", 31);
    g.joinMember(join(ab[1].memberId(), "b", "range"), "", 31);
    assertThat(g.maybeCompleteJoin(32)).hasSize(3);
    assertCode(() -> g.checkCommit(ab[1].memberId(), g.generation()), ErrorCode.REBALANCE_IN_PROGRESS);
    assertCode(() -> g.sync(c.memberId(), old, Map.of(), 33), ErrorCode.ILLEGAL_GENERATION);
    assertCode(() -> g.heartbeat(c.memberId(), old, 33), ErrorCode.ILLEGAL_GENERATION);
    g.sync(g.leaderId(), g.generation(), Map.of(), 34);
    assertCode(() -> g.checkCommit(ab[1].memberId(), old), ErrorCode.ILLEGAL_GENERATION);
    g.checkCommit(ab[1].memberId(), g.generation());
    assertCode(() -> g.checkCommit(null, -1), ErrorCode.ILLEGAL_GENERATION);
    assertCode(() -> g.heartbeat("nobody", g.generation(), 35), ErrorCode.UNKNOWN_MEMBER_ID);
  }

  @Test
  void aMemberSilentPastItsSessionTimeoutIsDroppedAndTheOthersRebalanceWithoutIt() {
    Group g = new Group("g");
    Member[] ab = stableGroupOfTwo(g);
    int generation = g.generation();
    g.heartbeat(ab[0].memberId(), generation, 900);
    assertThat(g.expire(1_000)).isEmpty();
    assertThat(g.expire(1_021)).as("the follower was last heard at 20").containsExactly(ab[1].memberId());
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    g.joinMember(join(ab[0].memberId(), "a", "range"), "", 1_022);
    assertThat(g.maybeCompleteJoin(1_023)).containsExactly(ab[0]);
    assertThat(g.generation()).isEqualTo(generation + 1);
  }

  @Test
  void aMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsDroppedWhileWaitingMembersStayAlive() {
    Group g = new Group("g");
    Member[] ab = stableGroupOfTwo(g);
    g.leave(ab[0].memberId()); // the leader leaves: the follower rejoins, ...
    Member c = g.joinMember(join("", "c", "range"), "", 100);
    assertThat(g.maybeCompleteJoin(100)).isEmpty(); // the rebalance timeout runs from here: 3 s
    // ... c waits past its own session timeout without a heartbeat, and is still a member: waiting keeps it alive.
    assertThat(g.expire(2_000)).containsExactly(ab[1].memberId()).as("b neither rejoined nor heartbeat");
    assertThat(g.members()).containsOnlyKeys(c.memberId());
    assertThat(g.maybeCompleteJoin(2_001)).containsExactly(c);
    assertThat(g.leaderId()).isEqualTo(c.memberId());

    Group h = new Group("h");
    Member[] de = stableGroupOfTwo(h);
    Member f = h.joinMember(join("", "f", "range"), "", 50);
    // The follower heartbeats (and hears it must rejoin) but does not rejoin.
    assertCode(() -> h.heartbeat(de[1].memberId(), h.generation(), 60), ErrorCode.REBALANCE_IN_PROGRESS);
    h.joinMember(join(de[0].memberId(), "a", "range"), "", 60);
    assertThat(h.maybeCompleteJoin(60)).isEmpty(); // the coordinator settles after each join: the timeout runs
    assertThat(h.maybeCompleteJoin(60 + REBALANCE_MS - 1)).isEmpty();
    assertThat(h.maybeCompleteJoin(60 + REBALANCE_MS)).as("the rebalance timeout passed")
        .containsExactlyInAnyOrder(de[0], f);
    assertThat(h.members()).doesNotContainKey(de[1].memberId());
  }

  @Test
  void whenTheLeaderSendsNoAssignmentWithinTheRebalanceTimeoutTheMembersThatDidNotSyncAreDropped() {
    Group g = new Group("g");
    Member a = g.joinMember(join("", "a", "range"), "", 0);
    Member b = g.joinMember(join("", "b", "range"), "", 0);
    g.maybeCompleteJoin(10);
    Member follower = g.leaderId().equals(a.memberId()) ? b : a;
    assertThat(g.sync(follower.memberId(), g.generation(), Map.of(), 20)).isFalse();
    g.heartbeat(g.leaderId(), g.generation(), 2_500); // the leader is alive, it just never sends the assignment
    assertThat(g.expire(10 + REBALANCE_MS - 1)).as("the waiting follower is alive past its session").isEmpty();
    assertThat(g.expire(10 + REBALANCE_MS)).containsExactly(g.leaderId().equals(a.memberId()) ? a.memberId()
        : b.memberId());
    assertThat(g.members()).containsOnlyKeys(follower.memberId());
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
  }

  @Test
  void theProtocolIsOneEveryMemberSupportsChosenByVote() {
    Group g = new Group("g");
    Member a = g.joinMember(join("", "a", "sticky", "range"), "", 0);
    Member b = g.joinMember(join("", "b", "range", "sticky"), "", 0);
    Member c = g.joinMember(join("", "c", "range", "roundrobin"), "", 0);
    g.maybeCompleteJoin(1);
    assertThat(g.protocol()).isEqualTo("range");
    assertThat(g.protocolType()).isEqualTo("consumer");
    assertCode(() -> g.joinMember(join("", "d", "sticky"), "", 2), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assertCode(() -> g.joinMember(JoinGroupRequest.memberAssigned("g", "", "e", SESSION_MS, REBALANCE_MS, "connect",
        List.of(new GroupProtocol("range", null))), "", 2), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assertCode(() -> g.join("rest", Subscription.ofTopics(List.of("t")), SESSION_MS, "range", 2),
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assertThat(g.members()).containsOnlyKeys(a.memberId(), b.memberId(), c.memberId());
  }

  @Test
  void aServerAssignedGroupRefusesMemberAssignedMembersUntilItIsEmpty() {
    Group g = new Group("g");
    Member rest = g.join("rest", Subscription.ofTopics(List.of("t")), SESSION_MS, "range", 0);
    assertCode(() -> g.joinMember(join("", "k", "range"), "", 1), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assertCode(() -> g.joinMember(join(rest.memberId(), "rest", "range"), "", 1),
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    g.leave(rest.memberId());
    assertThat(g.state()).isEqualTo(GroupState.EMPTY);
    Member k = g.joinMember(join("", "k", "range"), "", 2);
    assertThat(g.isMemberAssigned()).isTrue();
    assertThat(g.members()).containsOnlyKeys(k.memberId());
    assertCode(() -> g.resubscribe(k.memberId(), Subscription.ofTopics(List.of("t"))),
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  }

  @Test
  void aKnownMemberRejoiningAStableGroupWithTheSameProtocolsIsAnsweredAtOnceUnlessItLeads() {
    Group g = new Group("g");
    Member[] ab = stableGroupOfTwo(g);
    int generation = g.generation();
    g.joinMember(join(ab[1].memberId(), ab[1].clientId(), "range"), "", 30);
    assertThat(g.state()).isEqualTo(GroupState.STABLE);
    assertThat(ab[1].awaitingJoin()).isFalse();
    // The leader rejoins to ask for a rebalance (say a topic grew): everyone rejoins.
    g.joinMember(join(ab[0].memberId(), ab[0].clientId(), "range"), "", 31);
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(g.generation()).isEqualTo(generation);
  }
}
