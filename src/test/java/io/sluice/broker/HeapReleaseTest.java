package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class HeapReleaseTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dir;
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

  @Test
  void aStartingBrokerAppliesItsConfiguredInterval() throws Exception {
    HeapRelease.apply(0);
    Broker broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.HEAP_RELEASE_INTERVAL_MS, 7_000)),
        GUARD);
    try {
      assertThat(HeapRelease.intervalMs()).isEqualTo(7_000L);
    } finally {
      TestBrokers.close(broker);
    }
  }
}
