package io.sluice.share;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.share.SharePartition.AckType;
import io.sluice.share.SharePartition.Acquired;
import io.sluice.share.SharePartition.Limits;
import io.sluice.share.SharePartition.State;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SharePartitionTest {
  private static final Limits LIMITS = new Limits(30_000, 3, 100);

  private static List<Long> offsets(long from, long to) {
    return LongStream.range(from, to).boxed().toList();
  }

  private static List<Long> offsetsOf(List<Acquired> acquired) {
    return acquired.stream().map(Acquired::offset).toList();
  }

  @Test
  void acceptedRecordsMoveTheStartOffsetAndAreNeverDeliveredAgain() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    assertThat(sp.acquireNew("a", offsets(0, 5), 5, 10, 0)).extracting(Acquired::deliveryCount).containsOnly(1);
    sp.acknowledge("a", 0, AckType.ACCEPT);
    sp.acknowledge("a", 1, AckType.ACCEPT);
    assertThat(sp.startOffset()).isEqualTo(2);
    assertThat(sp.endOffset()).isEqualTo(5);
    assertThat(sp.acquireAvailable("b", 10, 1_000_000)).extracting(Acquired::offset).containsExactly(2L, 3L, 4L);
    assertThatThrownBy(() -> sp.acknowledge("a", 0, AckType.RELEASE)).isInstanceOf(SluiceException.class)
        .hasMessageContaining("below the start offset");
  }

  @Test
  void aRecordIsHeldByOneMemberAtATime() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 3), 3, 10, 0);
    assertThat(sp.acquireAvailable("b", 10, 1)).isEmpty();
    assertThat(sp.acquireNew("b", offsets(0, 3), 3, 10, 1)).isEmpty();
    assertThatThrownBy(() -> sp.acknowledge("b", 1, AckType.ACCEPT))
        .satisfies(t -> assertThat(((SluiceException) t).errorCode()).isEqualTo(ErrorCode.INVALID_RECORD_STATE))
        .hasMessageContaining("acquired by another member");
  }

  @Test
  void anExpiredLockRedeliversWithTheCountRaisedAndTheOldHolderCannotAcknowledge() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 1), 1, 10, 0);
    assertThat(sp.acquireAvailable("b", 10, 29_999)).isEmpty();
    assertThat(sp.acquireAvailable("b", 10, 30_000)).containsExactly(new Acquired(0, 2));
    assertThatThrownBy(() -> sp.acknowledge("a", 0, AckType.ACCEPT)).isInstanceOf(SluiceException.class);
    sp.acknowledge("b", 0, AckType.ACCEPT);
    assertThat(sp.startOffset()).isEqualTo(1);
  }

  @Test
  void rejectArchivesAtOnce() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 2), 2, 10, 0);
    sp.acknowledge("a", 1, AckType.REJECT);
    assertThat(sp.stateOf(1)).isEqualTo(State.ARCHIVED);
    sp.acknowledge("a", 0, AckType.RELEASE);
    assertThat(sp.acquireAvailable("a", 10, 0)).containsExactly(new Acquired(0, 2));
  }

  @Test
  void theDeliveryLimitArchivesARecordReleasedOnItsLastDelivery() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 1), 1, 10, 0);
    sp.acknowledge("a", 0, AckType.RELEASE);
    assertThat(sp.acquireAvailable("a", 10, 0)).containsExactly(new Acquired(0, 2));
    sp.releaseMember("a");
    assertThat(sp.acquireAvailable("a", 10, 0)).containsExactly(new Acquired(0, 3));
    assertThat(sp.expireLocks(30_000)).isTrue();
    assertThat(sp.acquireAvailable("a", 10, 30_000)).isEmpty();
    assertThat(sp.startOffset()).isEqualTo(1);
  }

  @Test
  void theInFlightCapBoundsAcquisitionUntilTheStartMoves() {
    SharePartition sp = new SharePartition("t-0", 10, new Limits(30_000, 5, 4));
    assertThat(offsetsOf(sp.acquireNew("a", offsets(10, 20), 20, 100, 0))).containsExactly(10L, 11L, 12L, 13L);
    assertThat(sp.room()).isZero();
    assertThat(sp.acquireNew("a", offsets(14, 20), 20, 100, 0)).isEmpty();
    sp.acknowledge("a", 11, AckType.ACCEPT);
    assertThat(sp.room()).isZero(); // 10 still acquired holds the start
    sp.acknowledge("a", 10, AckType.ACCEPT);
    assertThat(sp.startOffset()).isEqualTo(12);
    assertThat(offsetsOf(sp.acquireNew("a", offsets(14, 20), 20, 100, 0))).containsExactly(14L, 15L);
  }

  @Test
  void gapsInTheLogCountAsDone() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", List.of(0L, 3L), 6, 10, 0); // 1, 2 compacted away; 4, 5 control records
    assertThat(sp.endOffset()).isEqualTo(6);
    sp.acknowledge("a", 0, AckType.ACCEPT);
    assertThat(sp.startOffset()).isEqualTo(3);
    sp.acknowledge("a", 3, AckType.ACCEPT);
    assertThat(sp.startOffset()).isEqualTo(6);
    assertThatThrownBy(() -> sp.acknowledge("a", 1, AckType.ACCEPT)).hasMessageContaining("below the start");
  }

  @Test
  void aFailedReadUndeliversWithoutCountingADelivery() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 1), 1, 10, 0);
    sp.undeliver("a", List.of(0L));
    assertThat(sp.acquireAvailable("b", 10, 0)).containsExactly(new Acquired(0, 1));
  }

  @Test
  void theLogStartMovingDropsWhatRetentionDeleted() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 5), 5, 10, 0);
    sp.logStartMoved(3);
    assertThat(sp.startOffset()).isEqualTo(3);
    assertThat(sp.stateOf(1)).isNull();
  }

  @Test
  void aResetNeedsNoRecordAcquired() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 5), 5, 10, 0);
    assertThatThrownBy(() -> sp.resetTo(0))
        .satisfies(t -> assertThat(((SluiceException) t).errorCode()).isEqualTo(ErrorCode.NON_EMPTY_GROUP));
    sp.releaseMember("a");
    sp.resetTo(2);
    assertThat(sp.startOffset()).isEqualTo(2);
    assertThat(sp.acquireNew("a", offsets(2, 3), 3, 10, 0)).containsExactly(new Acquired(2, 1));
  }

  /**
   * Random acquisitions, acknowledgements and expiries against a model of who holds what: no offset is ever held
   * by two members, an accepted offset is never acquired again, and the start offset never passes an offset not done.
   */
  @Test
  void randomOperationsKeepEveryRecordHeldByOneMemberAndAcceptedOnce() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Limits limits = new Limits(50, 4, 16);
    SharePartition sp = new SharePartition("t-0", 0, limits);
    Map<Long, String> holder = new HashMap<>();
    Map<Long, Long> lockedUntil = new HashMap<>();
    java.util.Set<Long> accepted = new java.util.HashSet<>();
    long logEnd = 0;
    long now = 0;
    String[] members = {"a", "b", "c"};
    for (int step = 0; step < 5_000; step++) {
      now += random.nextInt(5);
      logEnd += random.nextInt(3);
      final long t = now;
      holder.keySet().removeIf(o -> lockedUntil.get(o) <= t);
      String m = members[random.nextInt(members.length)];
      List<Acquired> got = new ArrayList<>(sp.acquireAvailable(m, random.nextInt(4), now));
      got.addAll(sp.acquireNew(m, offsets(sp.endOffset(), logEnd), logEnd, random.nextInt(4), now));
      for (Acquired a : got) {
        assertThat(holder).as("seed %d: offset %d held twice", seed, a.offset()).doesNotContainKey(a.offset());
        assertThat(accepted).as("seed %d: accepted offset %d redelivered", seed, a.offset())
            .doesNotContain(a.offset());
        assertThat(a.deliveryCount()).isBetween(1, limits.deliveryLimit());
        holder.put(a.offset(), m);
        lockedUntil.put(a.offset(), now + limits.lockDurationMs());
      }
      for (Long offset : new ArrayList<>(holder.keySet())) {
        if (holder.get(offset).equals(m) && random.nextInt(3) == 0) {
          AckType type = AckType.values()[random.nextInt(AckType.values().length)];
          sp.acknowledge(m, offset, type);
          holder.remove(offset);
          if (type == AckType.ACCEPT) {
            accepted.add(offset);
          }
        }
      }
      for (long held : holder.keySet()) {
        assertThat(sp.startOffset()).as("seed %d", seed).isLessThanOrEqualTo(held);
      }
    }
  }

  @Test
  void aRestoredSnapshotKeepsAcceptedRecordsDoneAndAcquiredOnesHeldByTheirMemberUntilTheirDeadline() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 6), 6, 10, 0);
    sp.acknowledge("a", 0, AckType.ACCEPT);
    sp.acknowledge("a", 2, AckType.ACCEPT);
    sp.acknowledge("a", 3, AckType.REJECT);
    sp.acknowledge("a", 4, AckType.RELEASE);
    SharePartition restored = SharePartition.restore("t-0",
        ShareStateTopic.decode(ShareStateTopic.encode(sp.snapshot())), LIMITS);
    assertThat(restored.startOffset()).isEqualTo(1);
    assertThat(restored.endOffset()).isEqualTo(6);
    assertThat(restored.stateOf(2)).isEqualTo(State.ACKNOWLEDGED);
    assertThat(restored.stateOf(3)).isEqualTo(State.ARCHIVED);
    // 1 and 5 are still a's (until the lock's deadline), 4 was released.
    assertThat(restored.acquireAvailable("b", 10, 0)).containsExactly(new Acquired(4, 2));
    assertThat(restored.holds("a", 1)).isTrue();
    assertThat(restored.holds("a", 5)).isTrue();
    // At the deadline every lock lapses (b's on 4 too).
    assertThat(restored.acquireAvailable("c", 10, LIMITS.lockDurationMs()))
        .containsExactly(new Acquired(1, 2), new Acquired(4, 3), new Acquired(5, 2));
  }

  @Test
  void aRestoredRecordHeldByAMemberTheKeeperDoesNotKnowIsReleasedWithItsCount() {
    SharePartition sp = new SharePartition("t-0", 0, LIMITS);
    sp.acquireNew("a", offsets(0, 2), 2, 10, 0);
    sp.acquireNew("gone", offsets(2, 3), 3, 10, 0);
    SharePartition restored = SharePartition.restore("t-0",
        ShareStateTopic.decode(ShareStateTopic.encode(sp.snapshot())), LIMITS);
    restored.releaseUnless("a"::equals);
    assertThat(restored.holds("a", 0)).isTrue();
    assertThat(restored.acquireAvailable("b", 10, 0)).containsExactly(new Acquired(2, 2));
  }

  @Test
  void aRestoredRecordDeliveredUpToTheLimitIsArchivedAndTheStateEpochSurvives() {
    SharePartition sp = new SharePartition("t-0", 0, new Limits(30_000, 1, 100));
    sp.resetTo(0);
    sp.acquireNew("a", offsets(0, 2), 2, 10, 0);
    SharePartition restored = SharePartition.restore("t-0", sp.snapshot(), new Limits(30_000, 1, 100));
    restored.releaseUnless(member -> false);
    assertThat(restored.startOffset()).isEqualTo(2);
    assertThat(restored.acquireAvailable("b", 10, 0)).isEmpty();
    assertThat(restored.stateEpoch()).isEqualTo(1);
  }
}
