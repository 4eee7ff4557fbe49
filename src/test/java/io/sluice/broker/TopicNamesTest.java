package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicNamesTest {
  @Test
  void kafkasRulesApply() {
    assertThat(TopicNames.isValid("orders")).isTrue();
    assertThat(TopicNames.isValid("a.b_c-D9")).isTrue();
    assertThat(TopicNames.isValid("x".repeat(249))).isTrue();
    assertThat(TopicNames.isValid("x".repeat(250))).isFalse();
    assertThat(TopicNames.isValid("")).isFalse();
    assertThat(TopicNames.isValid(".")).isFalse();
    assertThat(TopicNames.isValid("..")).isFalse();
    assertThat(TopicNames.isValid("...")).isTrue();
    assertThat(TopicNames.isValid("with space")).isFalse();
    assertThat(TopicNames.isValid("slash/")).isFalse();
    assertThat(TopicNames.isValid("ünicode")).isFalse();
  }

  @Test
  void replicasAreAssignedRoundRobinWithLeadersSpread() {
    assertThat(ReplicaPlacement.roundRobin(java.util.List.of(1, 2, 3), 4, 2))
        .containsExactly(java.util.Map.entry(0, java.util.List.of(1, 2)), java.util.Map.entry(1, java.util.List.of(2, 3)),
            java.util.Map.entry(2, java.util.List.of(3, 1)), java.util.Map.entry(3, java.util.List.of(1, 2)));
  }
}
