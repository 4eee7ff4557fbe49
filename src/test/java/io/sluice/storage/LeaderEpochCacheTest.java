package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaderEpochCacheTest {
  @TempDir
  Path dir;

  @Test
  void endOffsetOfAnEpochIsWhereTheNextKnownEpochStarts() {
    LeaderEpochCache c = LeaderEpochCache.open(dir, 0);
    c.assign(1, 0);
    c.assign(3, 40);
    c.assign(2, 99); // older than the latest: ignored
    assertThat(c.endOffsetFor(1, 100)).isEqualTo(new LeaderEpochCache.EpochEnd(1, 40));
    assertThat(c.endOffsetFor(2, 100)).as("unknown epoch: the largest below it").isEqualTo(
        new LeaderEpochCache.EpochEnd(1, 40));
    assertThat(c.endOffsetFor(3, 100)).isEqualTo(new LeaderEpochCache.EpochEnd(3, 100));
    assertThat(c.endOffsetFor(0, 100)).isEqualTo(new LeaderEpochCache.EpochEnd(-1, 0));
  }

  @Test
  void entriesSurviveReopenAndEntriesPastTheLogEndAreDropped() {
    LeaderEpochCache c = LeaderEpochCache.open(dir, 0);
    c.assign(1, 0);
    c.assign(2, 10);
    c.assign(5, 30);
    assertThat(LeaderEpochCache.open(dir, 100).entries()).containsExactly(
        java.util.Map.entry(1, 0L), java.util.Map.entry(2, 10L), java.util.Map.entry(5, 30L));
    LeaderEpochCache reopened = LeaderEpochCache.open(dir, 20);
    assertThat(reopened.latestEpoch()).isEqualTo(2);
    reopened.truncateFromEnd(10);
    assertThat(LeaderEpochCache.open(dir, 20).latestEpoch()).isEqualTo(1);
  }

  @Test
  void clearedCacheStaysEmptyAfterReopenAndTakesNewEpochsAtAnyOffset() {
    LeaderEpochCache c = LeaderEpochCache.open(dir, 0);
    c.assign(1, 0);
    c.assign(2, 10);
    c.clear();
    assertThat(c.latestEpoch()).isEqualTo(-1);
    assertThat(LeaderEpochCache.open(dir, 100).entries()).isEmpty();
    c.assign(2, 500);
    assertThat(LeaderEpochCache.open(dir, 600).entries()).containsExactly(java.util.Map.entry(2, 500L));
  }
}
