package io.sluice.storage;

import io.sluice.errors.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A slice of one segment file holding whole batches: {@code length} bytes from {@code position}. The HTTP
 * layer can hand {@code channel} to {@code sendFile} as it is (zero-copy); {@link #readBytes()} copies them.
 *
 * <p>The channel stays readable for at least {@code file.delete.delay.ms} after its segment is deleted by
 * retention, so a send already under way completes. Callers must not close it. {@code length} is 0 when there
 * is nothing to read at {@code fetchOffset} yet.
 *
 * @param fetchOffset the offset that was asked for; the first batch may start before it
 * @param file the segment file
 * @param channel an open channel on that file, owned by the log
 * @param position where the first batch starts in the file
 * @param length how many bytes of whole batches follow
 * @param nextOffset the offset just after the last batch in the slice ({@code fetchOffset} when empty)
 * @param logStartOffset the log start offset when the read happened
 * @param logEndOffset the log end offset when the read happened
 */
public record ReadResult(long fetchOffset, Path file, FileChannel channel, long position, int length,
    long nextOffset, long logStartOffset, long logEndOffset) {

  public boolean isEmpty() {
    return length == 0;
  }

  /**
   * Copies the slice's bytes into a new heap buffer, positioned at 0.
   *
   * @throws StorageException if the file cannot be read or ends early
   */
  public ByteBuffer readBytes() {
    ByteBuffer buf = ByteBuffer.allocate(length);
    try {
      while (buf.hasRemaining()) {
        int n = channel.read(buf, position + buf.position());
        if (n < 0) {
          throw new IOException("Unexpected end of " + file + " at " + (position + buf.position()));
        }
      }
    } catch (IOException e) {
      throw new StorageException("Cannot read " + length + " bytes at " + position + " of " + file, e);
    }
    return buf.flip();
  }
}
