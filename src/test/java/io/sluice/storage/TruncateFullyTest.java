package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.OffsetOutOfRangeException;
import io.sluice.errors.UnknownProducerIdException;
import io.sluice.errors.StorageException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PartitionLog#truncateFullyAndStartAt}: a follower's log restarted at its leader's log start. */
class TruncateFullyTest {
  @TempDir
  Path dir;
  LogFixture fx;
  final AtomicBoolean failSegmentCreation = new AtomicBoolean();

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open() {
    fx = new LogFixture(dir, LogFixture.smallSegments(4096));
    fx.files = (path, create) -> {
      if (create && failSegmentCreation.get()) {
        throw new IOException("injected: cannot create " + path);
      }
      return SegmentFiles.DEFAULT.open(path, create);
    };
    return fx.open();
  }

  private void append(PartitionLog log, int batches) {
    for (int i = 0; i < batches; i++) {
      ByteBuffer b = TestBatches.batch(10, 100, 100_000 + i, 0);
      log.append(b, 0);
    }
  }

  @Test
  void truncateFullyPastTheEndEmptiesTheLogWhichThenGrowsFromTheNewStartAcrossRestarts() {
    LocalPartitionLog log = open();
    append(log, 9);
    List<Path> oldSegments = log.segmentFiles();
    assertThat(oldSegments).hasSizeGreaterThan(1);

    assertThat(log.truncateFullyAndStartAt(500)).isEqualTo(500);
    assertThat(log.logStartOffset()).isEqualTo(500);
    assertThat(log.logEndOffset()).isEqualTo(500);
    assertThat(log.segmentCount()).isEqualTo(1);
    assertThat(oldSegments).noneMatch(Files::exists);
    assertThatThrownBy(() -> log.read(499, 1000, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(log.read(500, 1000, Long.MAX_VALUE).isEmpty()).isTrue();
    assertThat(log.offsetForTimestamp(0)).isEmpty();

    assertThat(log.append(TestBatches.batch(10, 100, 200_000, 0), 0).firstOffset()).isEqualTo(500);
    ByteBuffer second = TestBatches.batch(10, 100, 200_001, 0);
    log.append(second, 0);

    LocalPartitionLog clean = fx.reopenClean();
    assertThat(clean.logStartOffset()).isEqualTo(500);
    assertThat(clean.logEndOffset()).isEqualTo(520);
    assertThat(LogFixture.readAll(clean, 500)).hasSize(2);
    assertThat(clean.offsetForTimestamp(200_001)).hasValue(510);
    LocalPartitionLog unclean = fx.crashAndReopen();
    assertThat(unclean.logStartOffset()).isEqualTo(500);
    assertThat(unclean.logEndOffset()).isEqualTo(520);
    assertThat(LogFixture.readAll(unclean, 500)).hasSize(2);
  }

  @Test
  void crashAfterTheSegmentsWereDeletedButBeforeTheNewSegmentExistedReopensAtTheNewStart() {
    LocalPartitionLog log = open();
    append(log, 9);
    failSegmentCreation.set(true);
    assertThatThrownBy(() -> log.truncateFullyAndStartAt(500)).isInstanceOf(StorageException.class);
    assertThat(log.isFailed()).isTrue();
    failSegmentCreation.set(false);

    LocalPartitionLog reopened = fx.crashAndReopen();
    assertThat(reopened.logStartOffset()).isEqualTo(500);
    assertThat(reopened.logEndOffset()).isEqualTo(500);
    assertThat(reopened.append(TestBatches.batch(10, 100, 0, 0), 0).firstOffset()).isEqualTo(500);
  }

  @Test
  void truncateFullyForgetsIdempotentProducers() {
    LocalPartitionLog log = open();
    log.append(new RecordBatchBuilder(CompressionType.NONE).producer(42, (short) 0, 0)
        .append(1, null, "a".getBytes(), null).build(), 0);
    log.truncateFullyAndStartAt(100);
    ByteBuffer next = new RecordBatchBuilder(CompressionType.NONE).producer(42, (short) 0, 1)
        .append(2, null, "b".getBytes(), null).build();
    assertThatThrownBy(() -> log.append(next, 0)).as("its sequence no longer continues anything here")
        .isInstanceOf(UnknownProducerIdException.class);
  }
}
