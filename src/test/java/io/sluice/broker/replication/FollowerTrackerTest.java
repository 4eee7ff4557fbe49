package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FollowerTrackerTest {

  @Test
  void highWatermarkIsTheSmallestLogEndInTheIsr() {
    FollowerTracker t = new FollowerTracker(List.of(2, 3), 0);
    assertThat(t.highWatermark(List.of(1, 2, 3), 1, 10)).as("before followers fetched").isEqualTo(-1);
    t.onFetch(2, 7, 10, 1);
    t.onFetch(3, 9, 10, 1);
    assertThat(t.highWatermark(List.of(1, 2, 3), 1, 10)).isEqualTo(7);
    assertThat(t.highWatermark(List.of(1, 3), 1, 10)).as("2 out of the ISR").isEqualTo(9);
    assertThat(t.highWatermark(List.of(1), 1, 10)).isEqualTo(10);
  }

  @Test
  void followerNotCaughtUpForLongerThanTheLagLeavesTheIsr() {
    FollowerTracker t = new FollowerTracker(List.of(2, 3), 0);
    t.onFetch(2, 10, 10, 1_000);
    t.onFetch(3, 5, 10, 1_000);
    assertThat(t.laggingInSync(List.of(1, 2, 3), 1, 4_000, 4_000)).as("3 still within its lag from the start")
        .isEmpty();
    assertThat(t.laggingInSync(List.of(1, 2, 3), 1, 4_001, 4_000)).containsExactly(3);
  }

  @Test
  void fetchReachingThePreviousLogEndCountsAsCaughtUpAtThePreviousFetch() {
    FollowerTracker t = new FollowerTracker(List.of(2), 0);
    t.onFetch(2, 5, 10, 1_000);
    t.onFetch(2, 10, 20, 2_000); // reached the log end as of its previous fetch
    assertThat(t.laggingInSync(List.of(1, 2), 1, 2_500, 1_600)).as("caught up as of 1000").isEmpty();
    assertThat(t.laggingInSync(List.of(1, 2), 1, 2_500, 1_400)).containsExactly(2);
  }
}
