package io.sluice.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One segment file, {@code <20-digit zero-padded base offset>.log}: whole v2 record batches back to back, byte
 * for byte as clients sent them (with broker-assigned base offset and leader epoch). The first batch's base
 * offset is the segment's base offset; offsets are contiguous within and across segments.
 *
 * <p>Only the owner writes, and only the log's last (active) segment. {@code size} counts bytes of whole batches
 * that were written completely; after a crash the file may be longer (a torn tail) until recovery cuts it.
 * Readers use positional reads on {@link #channel} and trust only the sizes published in the log's state.
 */
final class Segment {
  final long baseOffset;
  final Path file;
  final FileChannel channel;
  /** Bytes of whole batches; the owner updates it before publishing a new state. */
  volatile int size;
  /** The offset after the last batch ({@code baseOffset} when empty). */
  volatile long nextOffset;
  /** Largest record timestamp in the segment, -1 if none. */
  volatile long maxTimestamp = -1;
  /** The first batch's largest timestamp, which {@code segment.ms} is measured from (as Kafka does); -1 none. */
  long rollTimestamp = -1;
  /** When this segment object was created, for {@code segment.ms} on batches without timestamps. */
  final long createdMs;
  /** Bytes appended since the last offset index entry (owner only). */
  int bytesSinceIndexEntry;

  Segment(long baseOffset, Path file, FileChannel channel, long createdMs) {
    this.baseOffset = baseOffset;
    this.file = file;
    this.channel = channel;
    this.nextOffset = baseOffset;
    this.createdMs = createdMs;
  }

  static String fileName(long baseOffset) {
    return String.format("%020d.log", baseOffset);
  }

  /** The base offset in a segment file name, or -1 if the name is not a segment's. */
  static long parseBaseOffset(String fileName) {
    if (fileName.length() != 24 || !fileName.endsWith(".log")) {
      return -1;
    }
    try {
      return Long.parseLong(fileName, 0, 20, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Writes all of {@code src} at the current end; does not change {@link #size} (the caller publishes). */
  void write(ByteBuffer src) throws IOException {
    long position = size;
    while (src.hasRemaining()) {
      position += channel.write(src, position);
    }
  }

  /** Reads into {@code dst} from {@code position} until it is full or the file ends; returns bytes read. */
  static int readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
    int total = 0;
    while (dst.hasRemaining()) {
      int n = channel.read(dst, position + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  PartitionIndex.SegmentMeta meta() {
    return new PartitionIndex.SegmentMeta(size, nextOffset, maxTimestamp, rollTimestamp);
  }

  /** The timestamp retention judges this segment by: its largest record timestamp, else the file's mtime. */
  long retentionTimestamp() {
    if (maxTimestamp >= 0) {
      return maxTimestamp;
    }
    return file.toFile().lastModified();
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
