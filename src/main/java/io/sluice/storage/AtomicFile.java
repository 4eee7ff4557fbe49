package io.sluice.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces small files (checkpoints) so that a crash leaves either the old content or the new, never a mix:
 * the bytes go to a temporary file that is fsynced, renamed over the target, and the directory is fsynced so the
 * rename itself is durable. Callers serialize writes to one file.
 */
final class AtomicFile {
  private AtomicFile() {
  }

  /** Writes {@code bytes} to {@code temp}, fsyncs it, renames it to {@code file} and fsyncs the directory. */
  static void replace(Path file, Path temp, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(file.getParent());
  }

  /** Makes a directory's entries (created, renamed, deleted files) durable. */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
