package io.sluice.broker.partition;

import static io.sluice.broker.partition.FollowedLeader.TP;
import static io.sluice.broker.partition.FollowedLeader.bytes;
import static io.sluice.broker.partition.FollowedLeader.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.sluice.api.Acks;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.testing.TestBatches;
import io.sluice.record.RecordBatch;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replicated leader copies a producer's batches once into direct memory, stamps and writes that copy, and answers
 * the follower fetches the append wakes from it: the producer's buffer is left as it came, the answer is the log's
 * bytes, and every reference to the copy is given back.
 */
class AppendCopyTest {
  @RegisterExtension
  final FollowedLeader leader = new FollowedLeader();
  @TempDir
  Path dir;

  @Test
  void theLeaderStampsAndWritesItsCopyAndTheWokenFollowerGetsTheLogsBytes() throws Exception {
    PartitionVerticle pv = leader.deploy(dir);
    get(pv.append(TestBatches.batch("a"), Acks.LEADER));
    Future<ReplicaFetchResponse> waiting = pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 1, 1, 1 << 20, 60_000));
    ByteBuffer produced = TestBatches.batch("b");
    get(pv.append(produced, Acks.LEADER));

    RecordBatch asProduced = RecordBatch.wrap(produced);
    assertThat(asProduced.baseOffset()).as("stamped in the copy, not in the producer's buffer").isZero();
    assertThat(asProduced.partitionLeaderEpoch()).isNotEqualTo(1);
    ReplicaFetchResponse answer = get(waiting);
    assertThat(TestBatches.offsetsAndValues(bytes(answer))).containsExactly("1=b");
    ReplicaFetchResponse read = get(pv.replicaFetch(new ReplicaFetchRequest(TP, 2, 1, 1, 1, 1 << 20, 0)));
    assertThat(bytes(answer)).as("the bytes a read of the log answers").isEqualTo(bytes(read));
    assertThat(RecordBatch.wrap(bytes(answer)).partitionLeaderEpoch()).isEqualTo(1);
    ByteBuf shared = answer.recordsBuf();
    answer.releaseRecords();
    read.releaseRecords();
    assertThat(shared.refCnt()).as("the append's reference and the answer's given back").isZero();
  }

  @Test
  void theCopyIsSharedOnlyWhenTheLogWroteExactlyIt() {
    ByteBuf copy = AppendCopy.of(TestBatches.batch("a", "b"));
    ByteBuf other = AppendCopy.of(TestBatches.batch("a", "b"));
    try {
      ByteBuffer asWritten = copy.nioBuffer().duplicate().asReadOnlyBuffer();
      ByteBuf shared = AppendCopy.written(copy, asWritten);
      assertThat(shared).as("the log's view of the copy").isNotNull();
      assertThat(shared).isSameAs(copy);
      assertThat(copy.refCnt()).as("a reference of its own").isEqualTo(2);
      shared.release();

      ByteBuffer recompressed = ByteBuffer.allocate(copy.readableBytes());
      assertThat(AppendCopy.written(copy, recompressed)).as("bytes the log made itself (heap)").isNull();
      assertThat(AppendCopy.written(copy, other.nioBuffer())).as("other memory of the same length").isNull();
      assertThat(AppendCopy.written(copy, copy.nioBuffer(1, copy.readableBytes() - 1))).as("a part of it").isNull();
      assertThat(AppendCopy.written(null, asWritten)).as("no copy made (one replica)").isNull();
      assertThat(copy.refCnt()).isEqualTo(1);
    } finally {
      copy.release();
      other.release();
    }
  }
}
