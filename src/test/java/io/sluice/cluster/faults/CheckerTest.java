package io.sluice.cluster.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.faults.History.Outcome;
import io.sluice.cluster.faults.History.Produce;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Each anomaly of the reliability notes, planted in a small hand-made history, is found; a clean one finds none. */
class CheckerTest {
  private final History history = new History();

  private void ack(String producer, long seq, long offset) {
    history.produced(new Produce(producer, seq, 0, History.value(producer, seq), Outcome.OK, offset, seq, seq + 1, ""));
  }

  private void outcome(String producer, long seq, Outcome outcome) {
    history.produced(new Produce(producer, seq, 0, History.value(producer, seq), outcome, -1, seq, seq + 1, "x"));
  }

  private static SortedMap<Long, String> log(String... values) {
    SortedMap<Long, String> log = new TreeMap<>();
    for (int i = 0; i < values.length; i++) {
      log.put((long) i, values[i]);
    }
    return log;
  }

  private Checker checker(SortedMap<Long, String> committed) {
    return new Checker(history, Map.of(0, FinalLog.agreed(committed, 1, 2, 3)));
  }

  private Map<String, List<String>> cleanHistoryAnd(SortedMap<Long, String> committed) {
    return checker(committed).all();
  }

  @Test
  void aCleanHistoryHasNoAnomaly() {
    ack("a", 0, 0);
    outcome("a", 1, Outcome.INDETERMINATE); // made it in: allowed
    ack("a", 2, 2);
    outcome("b", 0, Outcome.INDETERMINATE); // did not make it: allowed
    outcome("b", 1, Outcome.FAILED);
    history.read("c", 0, 0, "a-0");
    history.read("c", 0, 1, "a-1");
    history.watermark("c", 0, 2, 1);
    history.watermark("c", 0, 3, 1);
    assertThat(cleanHistoryAnd(log("a-0", "a-1", "a-2")).values()).allSatisfy(found -> assertThat(found).isEmpty());
  }

  @Test
  void anAcknowledgedRecordMissingFromTheFinalLogIsLost() {
    ack("a", 0, 0);
    ack("a", 1, 1);
    assertThat(checker(log("a-0")).lost()).singleElement().asString().contains("a-1", "missing");
  }

  @Test
  void aRecordAtTwoOffsetsIsDuplicated() {
    ack("a", 0, 0);
    assertThat(checker(log("a-0", "a-0")).duplicated()).singleElement().asString().contains("a-0", "[0, 1]");
  }

  @Test
  void aRecordAwayFromItsAcknowledgedOffsetIsInconsistent() {
    ack("a", 0, 1);
    assertThat(checker(log("b-0", "a-0")).inconsistentOffsets()).isEmpty();
    ack("b", 0, 1);
    assertThat(checker(log("b-0", "a-0")).inconsistentOffsets())
        .anySatisfy(f -> assertThat(f).contains("b-0 acknowledged at 1 but is at [0]"))
        .anySatisfy(f -> assertThat(f).contains("offset 1 acknowledged as b-0 and also as a-0"));
  }

  @Test
  void twoReadsOfOneOffsetWithDifferentValuesAreInconsistent() {
    history.read("c1", 0, 0, "a-0");
    history.read("c2", 0, 0, "a-1");
    assertThat(checker(log("a-0", "a-1")).inconsistentOffsets()).singleElement().asString()
        .contains("offset 0 read as a-1 and also as a-0");
  }

  @Test
  void missingOffsetsAndAWatermarkGoingBackAreGaps() {
    SortedMap<Long, String> holed = new TreeMap<>(Map.of(0L, "a-0", 2L, "a-1"));
    assertThat(checker(holed).gaps()).singleElement().asString().contains("offsets 1..1 missing");
    history.watermark("c", 0, 5, 1);
    history.watermark("c", 0, 4, 1);
    history.watermark("d", 0, 3, 1); // another consumer's view is its own
    assertThat(checker(log("a-0")).gaps()).singleElement().asString().contains("from 5 to 4");
  }

  @Test
  void aProducersRecordsOutOfItsSendingOrderAreReordered() {
    ack("a", 0, 1);
    ack("a", 1, 0);
    ack("b", 0, 2);
    assertThat(checker(log("a-1", "a-0", "b-0")).reorders()).singleElement().asString()
        .contains("a-1 at 0 comes before a-0 at 1");
  }

  @Test
  void aConsumerReadingBackOrSkippingWithoutASeekIsAnAnomaly() {
    history.read("c", 0, 0, "a-0");
    history.read("c", 0, 1, "a-1");
    history.read("c", 0, 0, "a-0");
    history.read("c", 0, 2, "a-2");
    assertThat(checker(log("a-0", "a-1", "a-2")).consumerAnomalies()).containsExactly(
        "c/p0: read 0 going back from 2 at " + Checker.seconds(history.reads().get(2).nanos()),
        "c/p0: read 2 skipping from 1 at " + Checker.seconds(history.reads().get(3).nanos()));
  }

  @Test
  void aConsumerMayJumpAfterASeek() {
    history.read("c", 0, 0, "a-0");
    history.seek("c", 0, 2);
    history.read("c", 0, 2, "a-2");
    history.seek("c", 0, 0);
    history.read("c", 0, 0, "a-0");
    assertThat(checker(log("a-0", "a-1", "a-2")).consumerAnomalies()).isEmpty();
  }

  @Test
  void readingARecordThatIsNotInTheFinalLogIsADirtyRead() {
    history.read("c", 0, 0, "a-0");
    history.read("c", 0, 1, "zombie-7");
    assertThat(checker(log("a-0", "a-1")).dirtyReads()).singleElement().asString().contains("zombie-7");
  }

  @Test
  void replicasDifferingBelowTheHighWatermarkDiverge() {
    SortedMap<Long, String> committed = log("a-0", "a-1");
    byte[] same = {1, 2, 3};
    FinalLog sameRecordsOtherBytes = new FinalLog(committed, 2, Map.of(1, committed, 2, committed),
        Map.of(1, same, 2, new byte[] {1, 2, 4}));
    assertThat(new Checker(history, Map.of(0, sameRecordsOtherBytes)).divergences()).singleElement().asString()
        .contains("broker 2's bytes");
    FinalLog otherRecords = new FinalLog(committed, 2, Map.of(1, committed, 2, log("a-0", "b-0", "b-1")),
        Map.of(1, same, 2, same));
    assertThat(new Checker(history, Map.of(0, otherRecords)).divergences()).singleElement().asString()
        .contains("broker 2", "offset 1: b-0 vs a-1");
  }

  @Test
  void aRecordAboveTheHighWatermarkOnOneReplicaIsNoDivergence() {
    SortedMap<Long, String> committed = log("a-0");
    FinalLog unreplicatedTail = new FinalLog(committed, 1, Map.of(1, committed, 2, log("a-0", "a-1")),
        Map.of(1, new byte[] {1}, 2, new byte[] {1}));
    assertThat(new Checker(history, Map.of(0, unreplicatedTail)).divergences()).isEmpty();
  }

  @Test
  void aRefusedRecordThatIsInTheLogIsReported() {
    outcome("a", 0, Outcome.FAILED);
    assertThat(checker(log("a-0")).failedButPresent()).singleElement().asString().contains("a-0 refused");
  }

  @Test
  void failoverIsTimedFromTheFaultToTheFirstAcknowledgementOfARequestSentAfterIt() throws Exception {
    history.fault("kill -9 broker 1", List.of(0));
    long fault = history.faults().get(0).nanos();
    history.produced(new Produce("a", 0, 0, "a-0", Outcome.OK, 0, fault - 10, fault + 1_000_000_000L, ""));
    history.produced(new Produce("a", 1, 0, "a-1", Outcome.OK, 1, fault + 5, fault + 3_000_000_000L, ""));
    Availability availability = new Availability(history, 1_000_000_000L);
    assertThat(availability.failovers()).singleElement().satisfies(f -> assertThat(f.millis()).isEqualTo(3000));
    assertThat(availability.unavailableSeconds(List.of(0), fault, fault + 5_000_000_000L))
        .containsEntry(0, 2.0 + 2.0);
  }
}
