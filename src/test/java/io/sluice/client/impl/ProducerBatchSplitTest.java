package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.RecordMetadata;
import io.sluice.record.CompressionType;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link ProducerBatch#split()}: two pieces holding the batch's records in order, each with its part of the
 * sequence range, the producer's id and epoch, and its records' callbacks; the batch is done once both are.
 */
class ProducerBatchSplitTest {
  private static final long PRODUCER_ID = 7;
  private static final short EPOCH = 2;
  private static final int BASE_SEQUENCE = 100;

  @Test
  void thePiecesKeepTheRecordsInOrderAndShareTheSequenceRange() {
    for (CompressionType compression : new CompressionType[] {CompressionType.NONE, CompressionType.GZIP}) {
      Map<Integer, Long> offsets = new TreeMap<>();
      ProducerBatch batch = batch(compression, 10, offsets);
      ProducerBatch[] pieces = batch.split();

      RecordBatch first = bytesOf(pieces[0]);
      RecordBatch second = bytesOf(pieces[1]);
      assertThat(first.recordCount() + second.recordCount()).isEqualTo(10);
      assertThat(first.recordCount()).isBetween(4, 6); // about half the bytes: the records are all alike
      assertThat(first.baseSequence()).isEqualTo(BASE_SEQUENCE);
      assertThat(second.baseSequence()).isEqualTo(BASE_SEQUENCE + first.recordCount());
      for (RecordBatch piece : List.of(first, second)) {
        assertThat(piece.producerId()).isEqualTo(PRODUCER_ID);
        assertThat(piece.producerEpoch()).isEqualTo(EPOCH);
        assertThat(piece.compressionType()).isEqualTo(compression);
      }
      List<String> values = new ArrayList<>();
      for (RecordBatch piece : List.of(first, second)) {
        piece.records().forEach(r -> values.add(valueOf(r)));
      }
      assertThat(values).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9");

      pieces[1].complete(1_000, -1L);
      assertThat(batch.done().isComplete()).as("done before its first piece").isFalse();
      pieces[0].complete(500, -1L);
      assertThat(batch.done().isComplete()).isTrue();
      int n = first.recordCount();
      for (int i = 0; i < 10; i++) {
        assertThat(offsets.get(i)).as("record %d", i).isEqualTo(i < n ? 500L + i : 1_000L + i - n);
      }
    }
  }

  @Test
  void aRecordLargerThanTheRestGoesAloneInTheFirstPiece() {
    ProducerBatch batch = new ProducerBatch("t", 0, CompressionType.NONE, 1024, 16, 0, null);
    batch.append(1, null, "x".repeat(5_000).getBytes(StandardCharsets.UTF_8), List.of(), (md, t) -> { });
    for (int i = 0; i < 5; i++) {
      batch.append(1, null, ("r" + i).getBytes(StandardCharsets.UTF_8), List.of(), (md, t) -> { });
    }
    batch.seal(0, PRODUCER_ID, EPOCH, BASE_SEQUENCE);
    ProducerBatch[] pieces = batch.split();
    assertThat(pieces[0].recordCount()).isEqualTo(1);
    assertThat(pieces[1].recordCount()).isEqualTo(5);
  }

  /** A transactional producer's batch split in two: both pieces are transactional still. */
  @Test
  void thePiecesOfATransactionalBatchAreTransactional() {
    ProducerBatch batch = new ProducerBatch("t", 0, CompressionType.NONE, 1024, 16, 0, null);
    batch.transactional();
    for (int i = 0; i < 4; i++) {
      batch.append(1, null, ("r" + i).getBytes(StandardCharsets.UTF_8), List.of(), (md, t) -> { });
    }
    batch.seal(0, PRODUCER_ID, EPOCH, BASE_SEQUENCE);
    ProducerBatch[] pieces = batch.split();
    assertThat(bytesOf(pieces[0]).isTransactional()).isTrue();
    assertThat(bytesOf(pieces[1]).isTransactional()).isTrue();
  }

  @Test
  void aBatchOfOneRecordIsNotSplit() {
    ProducerBatch batch = batch(CompressionType.NONE, 1, new TreeMap<>());
    assertThatThrownBy(batch::split).isInstanceOf(IllegalStateException.class);
  }

  private static ProducerBatch batch(CompressionType compression, int records, Map<Integer, Long> offsets) {
    ProducerBatch batch = new ProducerBatch("t", 0, compression, 1024, 16, 0, null);
    for (int i = 0; i < records; i++) {
      int index = i;
      batch.append(1_000 + i, null, ("r" + i).getBytes(StandardCharsets.UTF_8), List.of(),
          (RecordMetadata md, Throwable t) -> offsets.put(index, md.offset()));
    }
    batch.seal(0, PRODUCER_ID, EPOCH, BASE_SEQUENCE);
    return batch;
  }

  private static RecordBatch bytesOf(ProducerBatch piece) {
    Buffer body = Buffer.buffer();
    piece.writeTo(body);
    return RecordBatch.wrap(ByteBuffer.wrap(body.getBytes()));
  }

  private static String valueOf(Record r) {
    return new String(r.value(), StandardCharsets.UTF_8);
  }
}
