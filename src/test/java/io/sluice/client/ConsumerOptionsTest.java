package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerOptionsTest {
  private static ConsumerOptions options() {
    return ConsumerOptions.of("g", List.of("t"));
  }

  @Test
  void theHeartbeatIntervalDefaultsToAThirdOfTheSessionAndTheMaxPollIntervalToFiveMinutes() {
    assertThat(options().sessionTimeoutMs(30_000).heartbeatIntervalMs()).isEqualTo(10_000);
    assertThat(options().heartbeatIntervalMs()).isEqualTo(options().sessionTimeoutMs() / 3);
    assertThat(options().maxPollIntervalMs()).isEqualTo(300_000);
    assertThat(options().sessionTimeoutMs(30_000).heartbeatIntervalMs(2_000).heartbeatIntervalMs()).isEqualTo(2_000);
  }

  @Test
  void aHeartbeatIntervalNotBelowTheSessionTimeoutIsRefusedWhicheverIsSetFirst() {
    assertThatThrownBy(() -> options().sessionTimeoutMs(6_000).heartbeatIntervalMs(6_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("heartbeatIntervalMs (6000) must be below sessionTimeoutMs (6000): the group would drop the member"
            + " between two heartbeats");
    ConsumerOptions interval = options().sessionTimeoutMs(60_000).heartbeatIntervalMs(7_000);
    assertThatThrownBy(() -> interval.sessionTimeoutMs(7_000)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heartbeatIntervalMs (7000) must be below sessionTimeoutMs (7000)");
    assertThat(interval.sessionTimeoutMs()).as("unchanged by the refused call").isEqualTo(60_000);
  }

  @Test
  void nonPositiveIntervalsAreRefused() {
    assertThatThrownBy(() -> options().heartbeatIntervalMs(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("heartbeatIntervalMs must be positive, got 0");
    assertThatThrownBy(() -> options().maxPollIntervalMs(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxPollIntervalMs must be positive, got -1");
  }

  @Test
  void fetchBoundsDefaultToKafkasAndAZeroPartitionShareIsRefused() {
    assertThat(options().fetchMaxBytes()).isEqualTo(50 << 20);
    assertThat(options().maxPartitionFetchBytes()).isEqualTo(1 << 20);
    assertThatThrownBy(() -> options().maxPartitionFetchBytes(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxPartitionFetchBytes must be positive, got 0");
  }
}
