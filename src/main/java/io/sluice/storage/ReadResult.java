package io.sluice.storage;

import io.sluice.errors.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A slice of one segment file holding whole batches: {@code length} bytes from {@code position}. The HTTP
 * layer can hand {@code channel} to {@code sendFile} as it is (zero-copy); {@link #readBytes()} copies them.
 * Or, made by {@link #inMemoryIfAtMost} or {@link #inMemory}, the same batches in memory: then {@code file} and
 * {@code channel} are null and {@link #bytes()} holds them.
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
 * @param bytes the batches in memory: a heap buffer whose whole backing array is the {@code length} bytes (so it can
 *     be wrapped without a copy; treat it as read-only), or null for a file slice
 */
public record ReadResult(long fetchOffset, Path file, FileChannel channel, long position, int length,
    long nextOffset, long logStartOffset, long logEndOffset, ByteBuffer bytes) {

  /** A slice of a segment file. */
  public ReadResult(long fetchOffset, Path file, FileChannel channel, long position, int length,
      long nextOffset, long logStartOffset, long logEndOffset) {
    this(fetchOffset, file, channel, position, length, nextOffset, logStartOffset, logEndOffset, null);
  }

  /**
   * This slice read into memory if it holds at least one and at most {@code maxBytes} bytes, else this (blocking:
   * call it where the log may be read).
   *
   * @throws StorageException if the file cannot be read or ends early
   */
  public ReadResult inMemoryIfAtMost(int maxBytes) {
    if (bytes != null || length == 0 || length > maxBytes) {
      return this;
    }
    return new ReadResult(fetchOffset, null, null, -1, length, nextOffset, logStartOffset, logEndOffset,
        readBytes());
  }

  /**
   * Whole batches already in memory: {@code bytes} is the whole answer and is wrapped, not copied (the caller hands it
   * over and never changes it).
   */
  public static ReadResult inMemory(long fetchOffset, byte[] bytes, long nextOffset, long logStartOffset,
      long logEndOffset) {
    return new ReadResult(fetchOffset, null, null, -1, bytes.length, nextOffset, logStartOffset, logEndOffset,
        ByteBuffer.wrap(bytes));
  }

  /** Whether the batches are in memory ({@link #bytes()}) rather than in a file. */
  public boolean isInMemory() {
    return bytes != null;
  }

  public boolean isEmpty() {
    return length == 0;
  }

  /**
   * Copies the slice's bytes into a new heap buffer, positioned at 0 (a memory copy for an in-memory result).
   *
   * @throws StorageException if the file cannot be read or ends early
   */
  public ByteBuffer readBytes() {
    ByteBuffer buf = ByteBuffer.allocate(length);
    readInto(buf);
    return buf.flip();
  }

  /**
   * Copies the slice's {@code length} bytes into {@code target} at its position, which moves past them. Into direct
   * memory the file's bytes land once (a heap target makes the JDK read into a direct buffer of its own and copy).
   *
   * @throws StorageException if the file cannot be read or ends early
   * @throws java.nio.BufferOverflowException if {@code target} has less than {@code length} bytes left
   */
  public void readInto(ByteBuffer target) {
    if (bytes != null) {
      target.put(bytes.duplicate());
      return;
    }
    if (target.remaining() < length) {
      throw new java.nio.BufferOverflowException();
    }
    ByteBuffer buf = target.slice().limit(length);
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
    target.position(target.position() + length);
  }
}
