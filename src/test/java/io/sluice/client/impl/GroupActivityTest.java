package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.TopicPartition;
import io.vertx.core.Future;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * max.poll.interval.ms counts the application's activity only (Kafka's poll timer moves with poll alone): a record
 * handed out is activity, a rebalance that revokes a partition is not. Driven tick by tick on an injected clock.
 */
class GroupActivityTest {
  private static final TopicPartition A = new TopicPartition("t", 0);
  private static final TopicPartition B = new TopicPartition("t", 1);
  private static final long MAX_POLL_INTERVAL_MS = 1_000;

  private final HandOut handOut = new HandOut();
  private final AtomicLong nanos = new AtomicLong();
  private final AtomicInteger leaves = new AtomicInteger();
  private final MemberLiveness liveness = new MemberLiveness(null, new MemberLiveness.Member() {
    @Override
    public long activity() {
      return handOut.handedOut();
    }

    @Override
    public long pollRequests() {
      return 0;
    }

    @Override
    public boolean joined() {
      return true;
    }

    @Override
    public Future<Void> heartbeat() {
      return Future.succeededFuture();
    }

    @Override
    public void rejoin() {
    }

    @Override
    public void leave() {
      leaves.incrementAndGet();
    }
  }, 100, MAX_POLL_INTERVAL_MS, nanos::get);

  private boolean handOut(TopicPartition tp, long offset) {
    ConsumerRecord r = new ConsumerRecord(tp.topic(), tp.partition(), offset, 0, null, new byte[0], List.of());
    return handOut.handOut(new HandOut.Run(tp, handOut.epochs().getOrDefault(tp, 0), List.of(r)), r);
  }

  private void tickAt(long ms) {
    nanos.set(TimeUnit.MILLISECONDS.toNanos(ms));
    liveness.tick();
  }

  @Test
  void aRevocationIsNoActivityTheMemberLeavesAtItsPollTimeout() {
    handOut.reassign(Set.of(A, B), Set.of());
    assertThat(handOut(A, 7)).isTrue();
    assertThat(handOut(B, 3)).isTrue();
    tickAt(0);
    long before = handOut.handedOut();

    handOut.reassign(Set.of(B), Set.of(A));
    assertThat(handOut.handedOut()).as("a revocation leaves the count as it was").isEqualTo(before);
    tickAt(MAX_POLL_INTERVAL_MS - 1);
    handOut.reassign(Set.of(), Set.of(B));
    tickAt(MAX_POLL_INTERVAL_MS);

    assertThat(leaves).as("left at its poll timeout although two revocations came meanwhile").hasValue(1);
  }

  @Test
  void aRecordHandedOutIsActivityEvenOnAPartitionAssignedAgain() {
    handOut.reassign(Set.of(A), Set.of());
    assertThat(handOut(A, 7)).isTrue();
    tickAt(0);
    handOut.reassign(Set.of(), Set.of(A));
    handOut.reassign(Set.of(A), Set.of());
    long before = handOut.handedOut();

    assertThat(handOut(A, 0)).as("back from the group's commit: its first record again").isTrue();
    assertThat(handOut.handedOut()).isGreaterThan(before);
    tickAt(MAX_POLL_INTERVAL_MS - 1);
    assertThat(handOut(A, 1)).isTrue();
    tickAt(2 * MAX_POLL_INTERVAL_MS - 2);
    assertThat(leaves).as("each tick saw a record handed out within the interval").hasValue(0);
  }
}
