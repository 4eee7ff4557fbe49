package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.StorageException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogFailureTest {
  @TempDir
  Path dir;
  LogFixture fx;
  final AtomicBoolean failWrites = new AtomicBoolean();
  final AtomicBoolean failForce = new AtomicBoolean();
  final LogModel model = new LogModel();

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open() {
    fx = new LogFixture(dir, LogFixture.smallSegments(16 * 1024));
    fx.files = FailingChannel.factory(failWrites, failForce);
    return fx.open();
  }

  private void append(PartitionLog log, int n) {
    for (int i = 0; i < n; i++) {
      ByteBuffer b = TestBatches.batch(5, 100, 1000, 1);
      log.append(b, 0);
      model.add(b, new long[] {1000, 1001, 1002, 1003, 1004});
    }
  }

  @Test
  void failedWriteRefusesLaterAppendsUntilReopenedAndLosesNoAcknowledgedBatch() {
    LocalPartitionLog log = open();
    append(log, 20);
    failWrites.set(true);
    assertThatThrownBy(() -> log.append(TestBatches.batch(5, 100, 1000, 1), 0))
        .isInstanceOf(StorageException.class).hasMessageContaining("orders-0")
        .satisfies(e -> assertThat(((StorageException) e).errorCode()).isEqualTo(ErrorCode.KAFKA_STORAGE_ERROR));
    assertThat(log.isFailed()).isTrue();
    failWrites.set(false);
    assertThatThrownBy(() -> log.append(TestBatches.batch(5, 100, 1000, 1), 0))
        .isInstanceOf(StorageException.class).hasMessageContaining("reopen");
    assertThatThrownBy(log::flush).isInstanceOf(StorageException.class);
    // readers still see every acknowledged batch
    assertThat(LogFixture.readAll(log, 0)).containsExactlyElementsOf(model.batches.values());

    LocalPartitionLog reopened = fx.reopenClean();
    assertThat(reopened.isFailed()).isFalse();
    assertThat(reopened.recoveryScannedBytes()).as("a failed log is recovered as unclean").isPositive();
    assertThat(LogFixture.readAll(reopened, 0)).containsExactlyElementsOf(model.batches.values());
    append(reopened, 3);
    assertThat(reopened.logEndOffset()).isEqualTo(model.logEnd());
  }

  @Test
  void failedFsyncPutsTheLogInTheFailedState() {
    LocalPartitionLog log = open();
    append(log, 3);
    failForce.set(true);
    assertThatThrownBy(log::flush).isInstanceOf(StorageException.class).hasMessageContaining("fsync");
    failForce.set(false);
    assertThat(log.isFailed()).isTrue();
    assertThatThrownBy(() -> log.append(TestBatches.batch(1, 1, 0, 0), 0)).isInstanceOf(StorageException.class);
    LocalPartitionLog reopened = fx.reopenClean();
    assertThat(LogFixture.readAll(reopened, 0)).containsExactlyElementsOf(model.batches.values());
  }
}
