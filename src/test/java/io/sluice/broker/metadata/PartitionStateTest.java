package io.sluice.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PartitionStateTest {

  @Test
  void isrEpochsRoundTripThroughTheZnodeJson() {
    PartitionState s = new PartitionState(2, 5, List.of(2, 1, 3), 9, 0, Map.of(1, 1L << 40, 2, 7L));
    PartitionState back = PartitionState.fromJson(s.toJson(), 9, 321);

    assertThat(back.isrEpochs()).isEqualTo(Map.of(1, 1L << 40, 2, 7L));
    assertThat(back.isrEpoch(3)).as("3 has none recorded").isNull();
    assertThat(back.modifiedZxid()).isEqualTo(321);
    assertThat(new PartitionState(back.leader(), back.leaderEpoch(), back.isr(), 9, 0, back.isrEpochs()))
        .isEqualTo(s);
  }

  @Test
  void aStateWrittenBeforeEpochsWereRecordedHasNone() {
    byte[] old = "{\"version\":1,\"leader\":1,\"leader_epoch\":3,\"isr\":[1,2]}".getBytes(StandardCharsets.UTF_8);
    PartitionState s = PartitionState.fromJson(old, 4, 100);
    assertThat(s.isrEpochs()).isEmpty();
    assertThat(new String(s.toJson(), StandardCharsets.UTF_8)).doesNotContain("isr_epochs");
  }

  @Test
  void onlyIsrMembersKeepAnEpoch() {
    PartitionState s = new PartitionState(1, 3, List.of(1, 2), 4, 0, Map.of(1, 10L, 3, 30L));
    assertThat(s.isrEpochs()).isEqualTo(Map.of(1, 10L));
    assertThat(PartitionState.fromJson(s.toJson(), 4).isrEpochs()).isEqualTo(Map.of(1, 10L));
  }
}
