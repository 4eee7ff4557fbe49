package io.sluice.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The log start offset set by {@code deleteRecordsBefore}, in {@code <log dir>/log-start-offset}: one line of
 * decimal text. It lives beside the segments rather than in RocksDB because it is not derived data: losing it
 * would bring deleted records back. Written as Tape writes files: a temp file, fsync, atomic rename, fsync of
 * the directory; a crash leaves either the old value or the new one.
 */
final class LogStartCheckpoint {
  static final String FILE = "log-start-offset";
  private final Path file;
  private final Path temp;

  LogStartCheckpoint(Path logDir) {
    this.file = logDir.resolve(FILE);
    this.temp = logDir.resolve(FILE + ".tmp");
  }

  /** The stored offset, or 0 if none was ever written. */
  long read() throws IOException {
    Files.deleteIfExists(temp);
    if (!Files.exists(file)) {
      return 0;
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IOException("Unreadable log start checkpoint " + file + ": '" + text + "'", e);
    }
  }

  void write(long offset) throws IOException {
    AtomicFile.replace(file, temp, (offset + "\n").getBytes(StandardCharsets.US_ASCII));
  }
}
