package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HeapReleaseTest {
  private long before;

  @BeforeEach
  void remember() {
    before = HeapRelease.intervalMs();
  }

  @AfterEach
  void restore() {
    HeapRelease.apply(before);
  }

  @Test
  void theIntervalIsAConfigurationKeyWithADefaultAndALowerBound() {
    assertThat(BrokerConfig.defaults().getLong(BrokerConfig.HEAP_RELEASE_INTERVAL_MS)).isEqualTo(60_000L);
    assertThat(BrokerConfig.of(Map.of("heap.release.interval.ms", "5000"))
        .getLong(BrokerConfig.HEAP_RELEASE_INTERVAL_MS)).isEqualTo(5_000L);
    assertThat(BrokerConfig.of(Map.of("heap.release.interval.ms", 0))
        .getLong(BrokerConfig.HEAP_RELEASE_INTERVAL_MS)).isZero();
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("heap.release.interval.ms", -1)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("heap.release.interval.ms")
        .hasMessageContaining("at least 0");
  }

  @Test
  void applyingSetsG1sPeriodicCollectionIntervalOfThisJvm() {
    HeapRelease.apply(12_345);
    assertThat(HeapRelease.intervalMs()).isEqualTo(12_345L);
    HeapRelease.apply(0);
    assertThat(HeapRelease.intervalMs()).isZero();
  }
}
