package io.sluice.record;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Kafka's transaction markers: a control batch (attribute bits 4 and 5) of the transactional producer's id and epoch
 * whose single record has the control key (int16 version 0, int16 type: 0 ABORT, 1 COMMIT) and value (int16
 * version 0, int32 coordinator epoch). Only a partition leader writes them, for the transaction coordinator.
 */
public final class ControlRecords {
  public static final short ABORT = 0;
  public static final short COMMIT = 1;

  private ControlRecords() {
  }

  /** A marker batch at offset 0 (the log assigns its offset), stamped {@code timestampMs}. */
  public static ByteBuffer marker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
      long timestampMs) {
    byte[] key = ByteBuffer.allocate(4).putShort((short) 0).putShort(commit ? COMMIT : ABORT).array();
    byte[] value = ByteBuffer.allocate(6).putShort((short) 0).putInt(coordinatorEpoch).array();
    return new RecordBatchBuilder(CompressionType.NONE, 16)
        .producer(producerId, producerEpoch, RecordBatch.NO_SEQUENCE).control()
        .append(timestampMs, key, value, List.of()).build();
  }

  /**
   * The coordinator epoch control batch {@code b} carries (the value's int32 after its version), or -1 if its value
   * is too short to hold one.
   */
  public static int coordinatorEpoch(RecordBatch b) {
    List<Record> records = b.records();
    byte[] value = records.isEmpty() ? null : records.get(0).value();
    return value != null && value.length >= 6 ? ByteBuffer.wrap(value).getInt(2) : -1;
  }

  /**
   * Whether control batch {@code b} commits its transaction (false: it aborts it). A control record this does not
   * know (too short a key) counts as an abort: hiding a transaction's records is the safe side for
   * read_committed.
   */
  public static boolean isCommit(RecordBatch b) {
    List<Record> records = b.records();
    byte[] key = records.isEmpty() ? null : records.get(0).key();
    return key != null && key.length >= 4 && ByteBuffer.wrap(key).getShort(2) == COMMIT;
  }
}
