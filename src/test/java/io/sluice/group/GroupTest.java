package io.sluice.group;

import io.sluice.api.Subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The group state machine, driven with explicit times. */
class GroupTest {
  private static final Subscription T = Subscription.ofTopics(List.of("t"));

  private static void rebalance(Group g) {
    g.completeRebalance(new RangeAssignor().assign(g.resolvedSubscriptions(List.of("t")), Map.of("t", 2),
        g.assignment()), Map.of("t", 2));
  }

  @Test
  void joinRebalanceAcknowledgeWalksEmptyPreparingCompletingStable() {
    Group g = new Group("g");
    assertThat(g.state()).isEqualTo(GroupState.EMPTY);
    Member a = g.join("a", T, 1_000, "range", 0);
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    rebalance(g);
    assertThat(g.state()).isEqualTo(GroupState.COMPLETING_REBALANCE);
    g.acknowledge(a.memberId());
    assertThat(g.state()).isEqualTo(GroupState.STABLE);
    assertThat(a.assignment()).containsExactly(new TopicPartition("t", 0), new TopicPartition("t", 1));
  }

  @Test
  void commitFromAnOlderGenerationIsRefused() {
    Group g = new Group("g");
    Member a = g.join("a", T, 1_000, "range", 0);
    rebalance(g);
    g.acknowledge(a.memberId());
    int old = g.generation();
    g.checkCommit(a.memberId(), old);
    Member b = g.join("b", T, 1_000, "range", 0);
    assertThatThrownBy(() -> g.checkCommit(a.memberId(), old)).isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.REBALANCE_IN_PROGRESS);
    rebalance(g);
    assertThatThrownBy(() -> g.checkCommit(a.memberId(), old))
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.ILLEGAL_GENERATION);
    g.acknowledge(a.memberId());
    g.acknowledge(b.memberId());
    g.checkCommit(a.memberId(), g.generation());
    assertThatThrownBy(() -> g.checkCommit(null, -1)).as("outsiders only while empty")
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.ILLEGAL_GENERATION);
  }

  @Test
  void membersSilentLongerThanTheirSessionTimeoutAreExpired() {
    Group g = new Group("g");
    Member a = g.join("a", T, 1_000, "range", 0);
    Member b = g.join("b", T, 5_000, "range", 0);
    rebalance(g);
    g.heartbeat(a.memberId(), 900);
    assertThat(g.expire(1_900)).isEmpty();
    assertThat(g.expire(1_901)).containsExactly(a.memberId());
    assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(g.expire(5_001)).containsExactly(b.memberId());
    assertThat(g.state()).isEqualTo(GroupState.EMPTY);
    g.checkCommit(null, -1);
  }

  @Test
  void groupRecordsKeepTheirPartitionAcrossPartitionCountsOfTheOffsetsTopic() {
    assertThat(OffsetsTopic.partitionFor("g", 8)).isBetween(0, 7);
    assertThat(OffsetsTopic.partitionFor("g", 8)).isEqualTo(OffsetsTopic.partitionFor("g", 8));
  }

  @Test
  void aLaterMemberNamingAnotherAssignorIsRefusedAndTheGroupKeepsItsOwn() {
    Group g = new Group("g");
    Member a = g.join("a", T, 1_000, "roundrobin", 0);
    assertThatThrownBy(() -> g.join("b", T, 1_000, "range", 0)).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
        .hasMessageContaining("'range'").hasMessageContaining("'roundrobin'");
    assertThat(g.members()).containsOnlyKeys(a.memberId());
    assertThat(g.assignorName()).isEqualTo("roundrobin");
    g.join("c", T, 1_000, "roundrobin", 0);
    g.leave(a.memberId());
    g.members().keySet().forEach(g::leave);
    assertThat(g.join("d", T, 1_000, "sticky", 0)).as("an empty group takes the next member's choice").isNotNull();
    assertThat(g.assignorName()).isEqualTo("sticky");
  }
}
