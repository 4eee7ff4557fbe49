package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.replication.LinkFrameParser;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A replica link's response frame is one buffer (one write, one flush), reads back as the response it carries, and
 * is direct memory, which netty writes without copying it again.
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
      ByteBuf frame = ReplicationServer.frame(UnpooledByteBufAllocator.DEFAULT, 9, response);
      List<Long> ids = new ArrayList<>();
      List<Buffer> bodies = parse(Buffer.buffer(ByteBufUtil.getBytes(frame)), ids);
      frame.release();
      assertThat(ids).as("records of %d bytes", size).containsExactly(9L);
      assertThat(bodies.get(0)).isEqualTo(ReplicaFetchCodec.encode(response));
      assertThat(ReplicaFetchCodec.decodeResponse(bodies.get(0)).highWatermark()).isEqualTo(41);
    }
  }

  @Test
  void aFrameIsOneDirectBufferThatNettyWritesAsItIs() {
    // netty's NIO channel passes a direct buffer to the socket untouched; anything else it copies into one first, and
    // a composite it gathers into a fresh heap array before that (AbstractNioByteChannel.filterOutboundMessage)
    for (int size : new int[] {0, 100, 100_000}) {
      ByteBuf frame = ReplicationServer.frame(UnpooledByteBufAllocator.DEFAULT, 1, withRecords(size));
      assertThat(frame.isDirect()).as("records of %d bytes", size).isTrue();
      assertThat(frame.nioBufferCount()).isEqualTo(1);
      assertThat(frame.refCnt()).as("netty's to release once written").isEqualTo(1);
      frame.release();
    }
  }

  @Test
  void theResponsesRecordsAreLeftAsTheyWere() {
    ReplicaFetchResponse response = withRecords(100_000);
    Buffer records = response.records();
    ByteBuf frame = ReplicationServer.frame(UnpooledByteBufAllocator.DEFAULT, 1, response);
    frame.release();
    assertThat(records.length()).isEqualTo(100_000);
    assertThat(ReplicaFetchCodec.encode(response).length()).isGreaterThan(100_000);
  }
}
