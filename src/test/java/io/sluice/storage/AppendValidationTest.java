package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CorruptRecordException;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.RecordTooLargeException;
import io.sluice.errors.SluiceException;
import io.sluice.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppendValidationTest {
  @TempDir
  Path dir;
  LogFixture fx;
  LocalPartitionLog log;

  @BeforeEach
  void setUp() {
    fx = new LogFixture(dir, new LogConfig(1 << 20, Long.MAX_VALUE / 2, 4096, 2000, -1, -1, Long.MAX_VALUE,
        Long.MAX_VALUE, 0));
    log = fx.open();
    log.append(TestBatches.batch(2, 10, 0, 1), 0);
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private void assertRefused(ByteBuffer request, Class<? extends SluiceException> type, ErrorCode code,
      String messagePart) {
    long sizeBefore = log.sizeInBytes();
    assertThatThrownBy(() -> log.append(request, 0)).isInstanceOf(type).hasMessageContaining("orders-0")
        .hasMessageContaining(messagePart)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(code));
    assertThat(log.logEndOffset()).isEqualTo(2);
    assertThat(log.sizeInBytes()).isEqualTo(sizeBefore);
    assertThat(log.isFailed()).isFalse();
  }

  @Test
  void batchOverMaxMessageBytesIsRefusedWithNothingAppended() {
    ByteBuffer ok = TestBatches.batch(1, 10, 0, 1);
    assertRefused(TestBatches.concat(ok, TestBatches.batch(30, 100, 0, 1)), RecordTooLargeException.class,
        ErrorCode.MESSAGE_TOO_LARGE, "max.message.bytes 2000");
  }

  @Test
  void badCrcIsRefusedWithNothingAppended() {
    ByteBuffer bad = TestBatches.batch(3, 10, 0, 1);
    bad.put(bad.limit() - 1, (byte) (bad.get(bad.limit() - 1) ^ 1));
    assertRefused(TestBatches.concat(TestBatches.batch(1, 10, 0, 1), bad), CorruptRecordException.class,
        ErrorCode.CORRUPT_MESSAGE, "CRC");
  }

  @Test
  void wrongMagicIsRefused() {
    ByteBuffer bad = TestBatches.batch(3, 10, 0, 1);
    bad.put(RecordBatch.MAGIC_OFFSET, (byte) 1);
    assertRefused(bad, CorruptRecordException.class, ErrorCode.CORRUPT_MESSAGE, "magic 1");
  }

  @Test
  void lengthBeyondTheRequestIsRefused() {
    ByteBuffer bad = TestBatches.batch(3, 10, 0, 1);
    assertRefused(bad.limit(bad.limit() - 5), CorruptRecordException.class, ErrorCode.CORRUPT_MESSAGE,
        "exceeds");
  }

  @Test
  void recordCountInconsistentWithOffsetDeltaIsRefused() {
    ByteBuffer bad = TestBatches.batch(3, 10, 0, 1);
    bad.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 5);
    TestBatches.fixCrc(bad);
    assertRefused(bad, InvalidRecordException.class, ErrorCode.INVALID_RECORD, "5 records");
  }

  @Test
  void emptyRequestIsRefused() {
    assertRefused(ByteBuffer.allocate(0), InvalidRecordException.class, ErrorCode.INVALID_RECORD,
        "no record batch");
  }
}
