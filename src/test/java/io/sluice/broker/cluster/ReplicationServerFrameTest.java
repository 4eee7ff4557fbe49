package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.replication.LinkFrameParser;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A replica link's response frame is one buffer (one write, one flush), reads back as the response it carries, and
 * does not copy large records.
 */
class ReplicationServerFrameTest {

  private static ReplicaFetchResponse withRecords(int size) {
    byte[] records = new byte[size];
    Arrays.fill(records, (byte) 'r');
    return ReplicaFetchResponse.records(3, 41, 7, ReplicaFetchResponse.wrap(records));
  }

  /** The frames {@code stream} holds, by correlation id and body. */
  private static List<Buffer> parse(Buffer stream, List<Long> ids) {
    List<Buffer> bodies = new ArrayList<>();
    new LinkFrameParser(1 << 20, (id, body) -> {
      ids.add(id);
      bodies.add(body);
    }).handle(stream);
    return bodies;
  }

  @Test
  void smallAndLargeResponsesAreOneFrameEachThatReadsBackAsTheResponse() {
    for (int size : new int[] {0, 100, 8 << 10, 100_000}) {
      ReplicaFetchResponse response = withRecords(size);
      Buffer frame = ReplicationServer.frame(9, response);
      List<Long> ids = new ArrayList<>();
      List<Buffer> bodies = parse(Buffer.buffer(frame.getBytes()), ids);
      assertThat(ids).as("records of %d bytes", size).containsExactly(9L);
      assertThat(bodies.get(0)).isEqualTo(ReplicaFetchCodec.encode(response));
      assertThat(ReplicaFetchCodec.decodeResponse(bodies.get(0)).highWatermark()).isEqualTo(41);
    }
  }

  @Test
  void largeRecordsAreTheFramesOwnBytesNotACopy() {
    ReplicaFetchResponse response = withRecords(100_000);
    byte[] records = ((BufferInternal) response.records()).getByteBuf().array();
    Buffer frame = ReplicationServer.frame(1, response);
    records[records.length - 1] = 'x';
    assertThat(frame.getByte(frame.length() - 1)).isEqualTo((byte) 'x');
  }
}
