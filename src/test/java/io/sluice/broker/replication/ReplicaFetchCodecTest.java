package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.api.TopicPartition;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class ReplicaFetchCodecTest {

  @Test
  void requestRoundTrips() {
    ReplicaFetchRequest r = new ReplicaFetchRequest(new TopicPartition("tö.pic", 7), 3, 12, 1L << 40, 11, 1 << 20, 500,
        (1L << 33) + 5, (1L << 39) + 3);
    assertThat(ReplicaFetchCodec.decodeRequest(ReplicaFetchCodec.encode(r))).isEqualTo(r);
  }

  @Test
  void aRequestWithoutTheBrokerEpochOfAnOlderBrokerDecodesWithAnUnknownOne() {
    ReplicaFetchRequest r = new ReplicaFetchRequest(new TopicPartition("t", 0), 3, 12, 40, 11, 1 << 20, 500, 77, 9);
    Buffer full = ReplicaFetchCodec.encode(r);
    Buffer older = full.getBuffer(0, full.length() - 2 * Long.BYTES);

    assertThat(ReplicaFetchCodec.decodeRequest(older)).isEqualTo(new ReplicaFetchRequest(r.tp(), 3, 12, 40, 11,
        1 << 20, 500, ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH, ReplicaFetchRequest.UNKNOWN_LOG_START));
  }

  @Test
  void aRequestWithoutTheLogStartOfAnOlderBrokerDecodesWithAnUnknownOne() {
    ReplicaFetchRequest r = new ReplicaFetchRequest(new TopicPartition("t", 0), 3, 12, 40, 11, 1 << 20, 500, 77, 9);
    Buffer full = ReplicaFetchCodec.encode(r);
    Buffer older = full.getBuffer(0, full.length() - Long.BYTES);

    assertThat(ReplicaFetchCodec.decodeRequest(older)).isEqualTo(new ReplicaFetchRequest(r.tp(), 3, 12, 40, 11,
        1 << 20, 500, 77, ReplicaFetchRequest.UNKNOWN_LOG_START));
  }

  @Test
  void responsesRoundTripWithRecordsDivergenceAndErrors() {
    ReplicaFetchResponse records = ReplicaFetchResponse.records(4, 100, 3, Buffer.buffer(new byte[] {1, 2, 3}));
    ReplicaFetchResponse back = ReplicaFetchCodec.decodeResponse(ReplicaFetchCodec.encode(records));
    assertThat(back.records().getBytes()).containsExactly(1, 2, 3);
    assertThat(back.highWatermark()).isEqualTo(100);
    assertThat(back.isDiverging()).isFalse();

    ReplicaFetchResponse diverging = ReplicaFetchCodec.decodeResponse(ReplicaFetchCodec.encode(
        ReplicaFetchResponse.diverging(4, 100, 0, 2, 57)));
    assertThat(diverging.isDiverging()).isTrue();
    assertThat(diverging.divergingEpoch()).isEqualTo(2);
    assertThat(diverging.divergingEndOffset()).isEqualTo(57);

    ReplicaFetchResponse error = ReplicaFetchCodec.decodeResponse(ReplicaFetchCodec.encode(
        ReplicaFetchResponse.error(ErrorCode.FENCED_LEADER_EPOCH, "stale")));
    assertThat(error.error()).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
    assertThat(error.message()).isEqualTo("stale");
  }
}
