package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Subscription;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Static members (KIP-345) in the group state machine, driven with explicit times. */
class StaticMembershipTest {
  private static final Subscription T = Subscription.ofTopics(List.of("t"));

  private static void rebalance(Group g) {
    g.completeRebalance(new RangeAssignor().assign(g.resolvedSubscriptions(List.of("t")), Map.of("t", 4),
        g.assignment()), Map.of("t", 4));
    g.members().keySet().forEach(g::acknowledge);
  }

  @Test
  void aRejoinWithTheInstanceIdTakesTheMembersPartitionsWithoutARebalanceAndFencesTheOld() {
    Group g = new Group("g");
    Member a = g.join("a", T, 1_000, "range", 0);
    Member b = g.join("b", T, 1_000, "range", 0, "b-id");
    rebalance(g);
    int generation = g.generation();
    var aOwned = a.assignment();
    var bOwned = b.assignment();

    Member b2 = g.join("b2", T, 1_000, "range", 10, "b-id");
    assertThat(g.state()).isEqualTo(GroupState.STABLE);
    assertThat(g.generation()).isEqualTo(generation);
    assertThat(b2.assignment()).isEqualTo(bOwned);
    assertThat(g.member(a.memberId()).orElseThrow().assignment()).isEqualTo(aOwned);
    assertThat(g.member(b.memberId())).isEmpty();
    assertThat(g.fencedBy("b-id", b.memberId())).contains(b2.memberId());
    assertThat(g.fencedBy("b-id", b2.memberId())).isEmpty();
    g.acknowledge(b2.memberId());
    g.checkCommit(b2.memberId(), generation);
  }

  @Test
  void aRejoinWithAnotherSubscriptionRebalances() {
    Group g = new Group("g");
    g.join("b", T, 1_000, "range", 0, "b-id");
    rebalance(g);
    g.join("b2", Subscription.ofTopics(List.of("t", "u")), 1_000, "range", 0, "b-id");
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(g.members()).hasSize(1);
  }

  @Test
  void anExpiredOrRemovedStaticMemberFreesItsIdAndRebalances() {
    Group g = new Group("g");
    g.join("a", T, 1_000, "range", 0);
    Member b = g.join("b", T, 1_000, "range", 0, "b-id");
    rebalance(g);
    g.heartbeat(g.members().firstKey().equals(b.memberId()) ? g.members().lastKey() : g.members().firstKey(), 1_500);
    assertThat(g.expire(1_500)).containsExactly(b.memberId());
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(g.fencedBy("b-id", b.memberId())).as("nobody holds it: the old member may join again").isEmpty();

    rebalance(g);
    Member c = g.join("c", T, 1_000, "range", 2_000, "c-id");
    rebalance(g);
    assertThat(g.removeStatic("c-id")).contains(c.memberId());
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(g.removeStatic("c-id")).isEmpty();
  }
}
