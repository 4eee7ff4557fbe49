package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Source polls are pipelined: the task is polled again while earlier polls' records await acknowledgement, never with
 * more than {@code source.max.in.flight.records} (plus one poll) outstanding; acknowledgements reach the task in
 * record order, and the committed source offset is that of the last record, once all are acknowledged.
 */
class SourcePipeliningTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  private ConnectTestSupport connect;

  @BeforeEach
  void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of());
  }

  @AfterEach
  void stop() throws Exception {
    connect.close();
  }

  private CountingSourceConnector.Seen run(String name, int total, JsonObject extra) throws Exception {
    String runId = UUID.randomUUID().toString();
    connect.create(name, new JsonObject().put("connector.class", CountingSourceConnector.class.getName())
        .put("topic", name).put("max.records", Integer.toString(total)).put("batch", "100").put("run.id", runId)
        .put("offset.flush.interval.ms", "100")
        .put("value.converter", "org.apache.kafka.connect.storage.StringConverter").mergeIn(extra));
    ConnectTestSupport.await("every record acknowledged", () -> {
      CountingSourceConnector.Seen s = CountingSourceConnector.RUNS.get(runId);
      return s != null && s.acknowledged == total;
    }, 120_000);
    ConnectTestSupport.await("the last record's offset committed", () -> committed(name) == total);
    return CountingSourceConnector.RUNS.get(runId);
  }

  @Test
  void pollsRunWhileEarlierRecordsAwaitAcknowledgementInOrder() throws Exception {
    CountingSourceConnector.Seen seen = run("piped", 20_000, new JsonObject());
    assertThat(seen.mostOutstandingAtPoll).as("records sent, unacknowledged, at a poll").isPositive()
        .isLessThanOrEqualTo(10_000 + 100);
    assertThat(seen.outOfOrder).as("acknowledgements out of record order").isFalse();
  }

  @Test
  void theBoundOnRecordsInFlightHolds() throws Exception {
    CountingSourceConnector.Seen seen = run("bounded", 3_000, new JsonObject()
        .put("source.max.in.flight.records", "250"));
    assertThat(seen.mostOutstandingAtPoll).isLessThanOrEqualTo(250 + 100);
    assertThat(seen.outOfOrder).isFalse();
  }

  /** Records of 10 KB: the record bound (10,000) alone would let 100 MB wait in the broker's heap. */
  @Test
  void theBoundOnBytesInFlightHolds() throws Exception {
    CountingSourceConnector.Seen seen = run("bytes", 1_000, new JsonObject().put("pad", "10000")
        .put("source.max.in.flight.bytes", "200000"));
    assertThat(seen.mostOutstandingAtPoll).as("records of 10 KB unacknowledged at a poll").isLessThanOrEqualTo(20);
    assertThat(seen.outOfOrder).isFalse();
  }

  /** Small values, 10 KB of headers: the bytes a record holds in the heap are its headers' too. */
  @Test
  void theBoundOnBytesInFlightCountsHeaders() throws Exception {
    CountingSourceConnector.Seen seen = run("headers", 1_000, new JsonObject().put("header.pad", "10000")
        .put("source.max.in.flight.bytes", "200000"));
    assertThat(seen.mostOutstandingAtPoll).as("records with 10 KB of headers unacknowledged at a poll")
        .isLessThanOrEqualTo(20);
    assertThat(seen.outOfOrder).isFalse();
  }

  private long committed(String name) {
    try {
      var offsets = connect.get("/connectors/" + name + "/offsets").json().getJsonArray("offsets");
      return offsets.isEmpty() ? -1 : offsets.getJsonObject(0).getJsonObject("offset").getLong("n");
    } catch (Exception e) {
      return -1;
    }
  }
}
