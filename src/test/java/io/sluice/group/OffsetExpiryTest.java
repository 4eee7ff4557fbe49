package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.CommittedOffset;
import io.sluice.api.GroupProtocol;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which commits expire (Kafka's OffsetExpirationCondition, KIP-211), on the pure policy with a clock in hand. */
class OffsetExpiryTest {
  private static final long R = 60_000;
  private static final List<String> TOPICS = List.of("t", "u");
  private static final TopicPartition T0 = new TopicPartition("t", 0);
  private static final TopicPartition U0 = new TopicPartition("u", 0);

  private static Map<TopicPartition, CommittedOffset> commits(long tAt, long uAt) {
    return Map.of(T0, new CommittedOffset(5, "", tAt), U0, new CommittedOffset(7, "", uAt));
  }

  private static Map<TopicPartition, CommittedOffset> expired(Group g, boolean instances,
      Map<TopicPartition, CommittedOffset> c, long now) {
    return OffsetExpiry.expired(g, instances, c, TOPICS, now, R);
  }

  /** A server-assigned group whose one member subscribes to t, stable. */
  private static Group stableOnT() {
    Group g = new Group("g");
    Member m = g.join("a", Subscription.ofTopics(List.of("t")), 10_000, "range", 0);
    g.completeRebalance(new RangeAssignor().assign(g.resolvedSubscriptions(TOPICS), Map.of("t", 1), g.assignment()),
        Map.of("t", 1));
    g.acknowledge(m.memberId());
    assertThat(g.state()).isEqualTo(GroupState.STABLE);
    return g;
  }

  @Test
  void aStandaloneConsumersCommitsExpireEachARetentionAfterItsWriting() {
    var c = commits(1_000, 2_000);
    assertThat(expired(null, false, c, 1_000 + R - 1)).isEmpty();
    assertThat(expired(null, false, c, 1_000 + R)).containsOnlyKeys(T0);
    assertThat(expired(new Group("g"), false, c, 2_000 + R)).containsOnlyKeys(T0, U0);
  }

  @Test
  void anEmptyGroupsCommitsExpireTogetherARetentionAfterItBecameEmpty() {
    Group g = stableOnT();
    var c = commits(1_000, 2_000);
    assertThat(g.leave(g.members().firstKey())).isTrue();
    assertThat(expired(g, false, c, 100 * R)).as("not yet seen empty: its retention has not started").isEmpty();
    g.markEmptySince(50_000);
    assertThat(expired(g, false, c, 50_000 + R - 1)).isEmpty();
    assertThat(expired(g, false, c, 50_000 + R)).containsOnlyKeys(T0, U0);
  }

  /** Unlike Kafka: a commit written while the group is empty (an offset reset) gets a retention of its own. */
  @Test
  void aCommitWrittenAfterTheGroupBecameEmptyIsKeptARetentionFromItsWriting() {
    Group g = stableOnT();
    g.leave(g.members().firstKey());
    g.markEmptySince(1_000);
    var c = commits(500, 30_000);
    assertThat(expired(g, false, c, 1_000 + R)).containsOnlyKeys(T0);
    assertThat(expired(g, false, c, 30_000 + R)).containsOnlyKeys(T0, U0);
  }

  @Test
  void aGroupWithAConsumerInstanceButNoMemberKeepsEverything() {
    Group g = stableOnT();
    g.leave(g.members().firstKey());
    g.markEmptySince(0);
    assertThat(expired(g, true, commits(0, 0), 100 * R)).isEmpty();
    assertThat(expired(null, true, commits(0, 0), 100 * R)).isEmpty();
  }

  @Test
  void aStableGroupLosesOnlyOldCommitsOfTopicsNoMemberSubscribesTo() {
    Group g = stableOnT();
    var c = commits(0, 0);
    assertThat(expired(g, false, c, R - 1)).isEmpty();
    assertThat(expired(g, false, c, 100 * R)).containsOnlyKeys(U0);
    g.requestRebalance();
    assertThat(expired(g, false, c, 100 * R)).as("rebalancing: nothing").isEmpty();
  }

  @Test
  void aMemberAssignedGroupWithMembersKeepsEverythingItsSubscriptionsAreOpaque() {
    Group g = new Group("g");
    g.joinMember(JoinGroupRequest.memberAssigned("g", "", "a", 10_000, 10_000, "consumer",
        List.of(new GroupProtocol("range", new byte[0]))), "127.0.0.1", 0);
    assertThat(expired(g, false, commits(0, 0), 100 * R)).isEmpty();
  }

  @Test
  void aGroupRecordReadBackMakesAGroupThatHadMembersWithItsEmptySinceWhenKnown() {
    Group loaded = new Group("g");
    loaded.restoreEmptySince(-1);
    assertThat(loaded.hadMembers()).isTrue();
    assertThat(expired(loaded, false, commits(0, 0), 100 * R)).as("when its members went is unknown").isEmpty();
    Group empty = new Group("h");
    empty.restoreEmptySince(5_000);
    assertThat(expired(empty, false, commits(0, 0), 5_000 + R)).containsOnlyKeys(T0, U0);
  }
}
