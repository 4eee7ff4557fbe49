package io.sluice.api;

import io.sluice.errors.StorageException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whole Kafka v2 record batches, back to back, as a fetch returns them. Where the bytes are is the broker's
 * business: in memory (they came from another broker) or a region of a segment file owned by the log, which a
 * front end may hand to the kernel as it is ({@link #fileRegion()}: zero-copy) or copy ({@link #readBytes()}).
 *
 * <p>Immutable. A file region's channel belongs to the log (it stays readable for {@code file.delete.delay.ms}
 * after its segment is deleted): callers never close it.
 */
public sealed interface Batches permits Batches.InMemory, Batches.Chunks, Batches.FileRegion {

  /** No bytes. */
  Batches EMPTY = new InMemory(new byte[0]);

  static Batches of(ByteBuffer bytes) {
    byte[] copy = new byte[bytes.remaining()];
    bytes.duplicate().get(copy);
    return new InMemory(copy);
  }

  static Batches wrap(byte[] bytes) {
    return new InMemory(bytes);
  }

  static Batches ofFile(Path file, FileChannel channel, long position, int length) {
    return new FileRegion(file, channel, position, length);
  }

  int sizeInBytes();

  default boolean isEmpty() {
    return sizeInBytes() == 0;
  }

  /** Whether {@link #readBytes()} is a memory copy; otherwise it reads a file, so call it off the event loop. */
  boolean inMemory();

  /** The file region holding the bytes, for a zero-copy send; empty when they are in memory. */
  Optional<FileRegion> fileRegion();

  /** The bytes in a heap buffer positioned at 0; reads the file for a file region (blocking).
   *
   * @throws StorageException if the file cannot be read or ends early
   */
  ByteBuffer readBytes();

  /** Bytes in memory. */
  record InMemory(byte[] bytes) implements Batches, Serializable {
    @Override
    public int sizeInBytes() {
      return bytes.length;
    }

    @Override
    public boolean inMemory() {
      return true;
    }

    @Override
    public Optional<FileRegion> fileRegion() {
      return Optional.empty();
    }

    @Override
    public ByteBuffer readBytes() {
      return ByteBuffer.wrap(bytes);
    }
  }

  /**
   * Bytes in memory as arrays of at most {@link #CHUNK_BYTES} each (the last may be shorter), in order; a batch may
   * span two of them. A group poll reads each partition's share (up to a few hundred KiB) this way: one array per
   * share would be a G1 humongous allocation (half a 1 MiB region or more), each starting a collection and a
   * concurrent cycle on the broker. {@link #readBytes()} joins them into one copy: front ends send {@link #chunks}.
   */
  record Chunks(List<byte[]> chunks) implements Batches, Serializable {
    /** Under half of G1's smallest region (1 MiB), with room for the array header: never humongous. */
    public static final int CHUNK_BYTES = 256 * 1024;

    /** @throws IllegalArgumentException unless every array but the last is {@link #CHUNK_BYTES} long */
    public Chunks {
      chunks = List.copyOf(chunks);
      for (int i = 0; i < chunks.size() - 1; i++) {
        if (chunks.get(i).length != CHUNK_BYTES) {
          throw new IllegalArgumentException("Chunk " + i + " has " + chunks.get(i).length + " bytes, not " + CHUNK_BYTES);
        }
      }
    }

    @Override
    public int sizeInBytes() {
      int size = 0;
      for (byte[] c : chunks) {
        size += c.length;
      }
      return size;
    }

    @Override
    public boolean inMemory() {
      return true;
    }

    @Override
    public Optional<FileRegion> fileRegion() {
      return Optional.empty();
    }

    @Override
    public ByteBuffer readBytes() {
      ByteBuffer out = ByteBuffer.allocate(sizeInBytes());
      chunks.forEach(out::put);
      return out.flip();
    }
  }

  /** {@code length} bytes of {@code file} from {@code position}, read through the log's open channel. */
  record FileRegion(Path file, FileChannel channel, long position, int length) implements Batches {
    @Override
    public int sizeInBytes() {
      return length;
    }

    @Override
    public boolean inMemory() {
      return false;
    }

    @Override
    public Optional<FileRegion> fileRegion() {
      return Optional.of(this);
    }

    @Override
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

    /** The bytes in arrays of {@link Chunks#CHUNK_BYTES} (blocking, as {@link #readBytes()}). */
    public Chunks readChunks() {
      List<byte[]> chunks = new ArrayList<>(length / Chunks.CHUNK_BYTES + 1);
      for (int done = 0; done < length; ) {
        ByteBuffer buf = ByteBuffer.allocate(Math.min(Chunks.CHUNK_BYTES, length - done));
        read(buf, position + done);
        chunks.add(buf.array());
        done += buf.capacity();
      }
      return new Chunks(chunks);
    }

    private void read(ByteBuffer buf, long at) {
      try {
        while (buf.hasRemaining()) {
          if (channel.read(buf, at + buf.position()) < 0) {
            throw new IOException("Unexpected end of " + file + " at " + (at + buf.position()));
          }
        }
      } catch (IOException e) {
        throw new StorageException("Cannot read " + length + " bytes at " + position + " of " + file, e);
      }
    }
  }
}
