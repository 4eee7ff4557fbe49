package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MeteredBrokerServiceTest {

  private static ByteBuffer batches(long baseOffset, int... recordsPerBatch) {
    ByteBuffer out = ByteBuffer.allocate(64 * 1024);
    long offset = baseOffset;
    for (int n : recordsPerBatch) {
      RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).baseOffset(offset);
      for (int i = 0; i < n; i++) {
        b.append(1_000L + i, null, ("v" + i).getBytes(StandardCharsets.UTF_8), java.util.List.of());
      }
      out.put(b.build());
      offset += n;
    }
    return out.flip();
  }

  @Test
  void countsTheRecordsOfEveryBatchWithoutMovingTheBuffer() {
    ByteBuffer buf = batches(0, 3, 1, 5);
    int position = buf.position();
    assertThat(MeteredBrokerService.recordCount(buf)).isEqualTo(9);
    assertThat(buf.position()).isEqualTo(position);
  }

  @Test
  void aTruncatedTailIsNotCounted() {
    ByteBuffer whole = batches(0, 2);
    ByteBuffer cut = ByteBuffer.allocate(whole.remaining() + 20);
    cut.put(whole.duplicate()).put(new byte[20]).flip();
    assertThat(MeteredBrokerService.recordCount(cut)).isEqualTo(2);
  }

  @Test
  void theNextOffsetFollowsTheLastBatch() {
    ByteBuffer buf = batches(40, 3, 4);
    byte[] bytes = new byte[buf.remaining()];
    buf.get(bytes);
    assertThat(MeteredBrokerService.nextOffset(Buffer.buffer(bytes), 40)).isEqualTo(47);
    assertThat(MeteredBrokerService.nextOffset(Buffer.buffer(), 40)).isEqualTo(40);
  }
}
