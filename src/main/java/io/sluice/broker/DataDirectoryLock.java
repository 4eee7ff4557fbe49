package io.sluice.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A broker's hold on its data directory, as Kafka's {@code .lock} in each log directory: a second broker started on
 * the same directory is refused before it touches anything. Without it the second one started an embedded ZooKeeper
 * on the first one's ZooKeeper data, wrote there, and only then failed on the log index's own lock. The operating
 * system drops the lock when the process dies, so a killed broker never leaves it held.
 */
final class DataDirectoryLock implements AutoCloseable {
  static final String FILE_NAME = ".lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Blocks on disk. @throws DataDirectoryInUseException if another broker, in this process or another, holds it */
  static DataDirectoryLock acquire(Path dataDir) {
    Path file = dataDir.resolve(FILE_NAME);
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = tryLock(channel);
      if (lock == null) {
        throw new DataDirectoryInUseException("Data directory " + dataDir + " is in use by another broker (" + file
            + " is locked): give each broker its own --data-dir");
      }
      return new DataDirectoryLock(channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException("Cannot lock data directory " + dataDir + " (" + file + ")", e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by another broker in this JVM
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // closing the channel below releases it too
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }

  /** Another broker holds the directory; nothing in it was touched. */
  static final class DataDirectoryInUseException extends IllegalStateException {
    DataDirectoryInUseException(String message) {
      super(message);
    }
  }
}
