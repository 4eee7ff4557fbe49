package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.ConsumerOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class PollBytesTest {
  private static ConsumerOptions options() {
    return ConsumerOptions.of("g", List.of("t"));
  }

  @Test
  void aPollAsksEachOwnedPartitionsShareWithinTheFetchBound() {
    ConsumerOptions o = options().maxPartitionFetchBytes(1 << 20).fetchMaxBytes(16 << 20);
    assertThat(PollLoop.pollBytes(o, 0)).as("before an assignment: one share").isEqualTo(1 << 20);
    assertThat(PollLoop.pollBytes(o, 6)).isEqualTo(6 << 20);
    assertThat(PollLoop.pollBytes(o, 100)).as("within fetchMaxBytes").isEqualTo(16 << 20);
    assertThat(PollLoop.pollBytes(o.fetchMaxBytes(300), 6)).isEqualTo(300);
    assertThat(PollLoop.pollBytes(options().maxPartitionFetchBytes(Integer.MAX_VALUE)
        .fetchMaxBytes(Integer.MAX_VALUE), 4)).as("no overflow").isEqualTo(Integer.MAX_VALUE);
  }
}
