package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.replication.LinkFrameParser;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A replica link's response frame is one buffer (one write, one flush), reads back as the response it carries, and
 * is direct memory, which netty writes without copying it again; records already in direct memory go in as they are.
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
      for (boolean direct : new boolean[] {false, true}) {
        ReplicaFetchResponse response = direct ? withDirectRecords(size) : withRecords(size);
        Buffer expected = ReplicaFetchCodec.encode(response); // before the frame takes the records
        ByteBuf frame = ReplicationServer.frame(UnpooledByteBufAllocator.DEFAULT, 9, response);
        List<Long> ids = new ArrayList<>();
        List<Buffer> bodies = parse(Buffer.buffer(ByteBufUtil.getBytes(frame)), ids);
        frame.release();
        assertThat(ids).as("records of %d bytes, direct %s", size, direct).containsExactly(9L);
        assertThat(bodies.get(0)).isEqualTo(expected);
        assertThat(ReplicaFetchCodec.decodeResponse(bodies.get(0)).highWatermark()).isEqualTo(41);
        LinkFrameParser.release(bodies.get(0));
      }
    }
  }

  /** Records in a pooled direct buffer, as a woken fetch's answer carries them (one reference of a shared buffer). */
  private static ReplicaFetchResponse withDirectRecords(int size) {
    byte[] records = new byte[size];
    Arrays.fill(records, (byte) 'r');
    ByteBuf shared = PooledByteBufAllocator.DEFAULT.directBuffer(size, size).writeBytes(records);
    return ReplicaFetchResponse.records(3, 41, 7, BufferInternal.buffer(shared));
  }

  @Test
  void directRecordsGoIntoTheFrameAsTheyAreAndAreReleasedWithIt() {
    ByteBuf shared = PooledByteBufAllocator.DEFAULT.directBuffer(100_000, 100_000).writeZero(100_000);
    List<ByteBuf> frames = new ArrayList<>();
    for (int follower = 0; follower < 2; follower++) {
      ReplicaFetchResponse response = ReplicaFetchResponse.records(3, 41, 7,
          BufferInternal.buffer(shared.retainedDuplicate()));
      ByteBuf frame = ReplicationServer.frame(UnpooledByteBufAllocator.DEFAULT, follower, response);
      // netty's NIO channel passes a direct composite to the socket as its NIO buffers, one gathering write
      assertThat(frame.isDirect()).isTrue();
      assertThat(frame.nioBufferCount()).as("the header, then the records where they are").isEqualTo(2);
      assertThat(frame.nioBuffers()[1].isDirect()).isTrue();
      assertThat(frame.refCnt()).as("netty's to release once written").isEqualTo(1);
      frames.add(frame);
    }
    assertThat(shared.refCnt()).as("no copy: each frame holds a reference").isEqualTo(3);
    shared.release(); // the partition's own, at the end of the append
    frames.get(0).release();
    assertThat(shared.refCnt()).as("the other follower's frame still holds it").isEqualTo(1);
    frames.get(1).release();
    assertThat(shared.refCnt()).as("back in the pool once both are written").isZero();
  }

  @Test
  void aFrameOfHeapRecordsIsOneDirectBufferThatNettyWritesAsItIs() {
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
  void theFrameTakesTheResponsesRecords() {
    ReplicaFetchResponse response = withRecords(100_000);
    ByteBuf records = response.recordsBuf();
    ByteBuf frame = ReplicationServer.frame(UnpooledByteBufAllocator.DEFAULT, 1, response);
    frame.release();
    assertThat(records.refCnt()).as("copied into the frame, given back").isZero();
  }

  @Test
  void aFrameWrittenAfterItsLinkClosedIsReleased() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Promise<Integer> refCntAfterWrite = Promise.promise();
      NetServer server = vertx.createNetServer().connectHandler(socket -> socket.closeHandler(v -> {
        // as a woken fetch's answer reaches a link its follower has closed meanwhile
        ByteBuf frame = ReplicationServer.frame(PooledByteBufAllocator.DEFAULT, 1, withDirectRecords(100_000));
        ReplicationServer.writeFrame((NetSocketInternal) socket, frame);
        refCntAfterWrite.complete(frame.refCnt());
      }));
      int port = await(server.listen(0, "127.0.0.1")).actualPort();
      NetSocket client = await(vertx.createNetClient().connect(port, "127.0.0.1"));
      await(client.close());
      assertThat(await(refCntAfterWrite.future())).as("released, not left to the pool's leak detector").isZero();
    } finally {
      await(vertx.close());
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
