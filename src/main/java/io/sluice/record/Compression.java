package io.sluice.record;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.sluice.errors.CorruptRecordException;
import io.sluice.errors.SluiceException;
import io.sluice.errors.UnsupportedCompressionException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.xerial.snappy.SnappyInputStream;
import org.xerial.snappy.SnappyOutputStream;

/**
 * The codecs for the records section of a v2 batch (everything after the record count), with the stream
 * framings Kafka producers and consumers use, so that Kafka clients can read what Sluice writes and vice versa:
 *
 * <ul>
 *   <li>GZIP: an RFC 1952 gzip member ({@link GZIPOutputStream}, default deflate level);
 *   <li>SNAPPY: xerial's snappy-java stream framing (a {@code 0x82 "SNAPPY" 0x00} magic header, then
 *       length-prefixed blocks), not the snappy "framing format";
 *   <li>LZ4: the standard LZ4 frame format, 64 KiB independent blocks, no checksums beyond the header's;
 *   <li>ZSTD: a standard zstd frame at level 3.
 * </ul>
 *
 * <p>Decompression is capped: a batch whose records inflate past the cap is rejected as corrupt rather than
 * allowed to exhaust the heap (a "decompression bomb"). Stateless and thread-safe.
 */
public final class Compression {
  /** The floor of the default decompression cap. */
  public static final int MIN_DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;
  /** The default cap also allows this many times the compressed size, for highly compressible batches. */
  public static final int DEFAULT_MAX_RATIO = 64;

  private static final int GZIP_BUFFER_BYTES = 8 * 1024;
  private static final int ZSTD_LEVEL = 3;
  private static final int READ_CHUNK_BYTES = 16 * 1024;

  private Compression() {}

  /** The default cap for a section of {@code compressedBytes}: max(64 MiB, 64 x compressed). */
  public static int defaultMaxDecompressedBytes(int compressedBytes) {
    long byRatio = (long) DEFAULT_MAX_RATIO * compressedBytes;
    return (int) Math.min(GrowableBytes.MAX_ARRAY_SIZE, Math.max(MIN_DEFAULT_MAX_DECOMPRESSED_BYTES, byRatio));
  }

  /** Compresses {@code src[offset, offset + length)} with {@code type}, appending the result to {@code out}. */
  static void compress(CompressionType type, byte[] src, int offset, int length, GrowableBytes out) {
    try (OutputStream stream = wrapForOutput(type, out)) {
      stream.write(src, offset, length);
    } catch (IOException e) {
      // The sink is in memory, so this is a codec failure, not I/O.
      throw new IllegalStateException("Cannot compress records with " + type.configName, e);
    } catch (LinkageError e) {
      throw new UnsupportedCompressionException("Codec " + type.configName + " is not available here", e);
    }
  }

  /**
   * Decompresses the remaining bytes of {@code compressed} (its position is not moved).
   *
   * @return a buffer over the decompressed bytes, positioned at 0
   * @throws CorruptRecordException if the data is not valid for the codec or inflates past
   *     {@code maxDecompressedBytes}
   * @throws UnsupportedCompressionException if the codec's native library cannot load on this platform
   */
  public static ByteBuffer decompress(CompressionType type, ByteBuffer compressed, int maxDecompressedBytes) {
    if (type == CompressionType.NONE) {
      return compressed.slice();
    }
    int initial = (int) Math.min(maxDecompressedBytes, Math.max(1024L, 4L * compressed.remaining()));
    GrowableBytes out = new GrowableBytes(initial);
    try (InputStream in = wrapForInput(type, new ByteBufferInputStream(compressed.slice()))) {
      readFully(in, out, maxDecompressedBytes, type);
    } catch (SluiceException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new CorruptRecordException("Cannot decompress " + type.configName + " records: " + e, e);
    } catch (LinkageError e) {
      throw new UnsupportedCompressionException("Codec " + type.configName + " is not available here", e);
    }
    return out.toByteBuffer();
  }

  private static void readFully(InputStream in, GrowableBytes out, int max, CompressionType type)
      throws IOException {
    while (true) {
      // Read at most one byte past the cap: enough to know it was exceeded, never more.
      int want = (int) Math.min(READ_CHUNK_BYTES, (long) max + 1 - out.size());
      out.ensureRoom(want);
      int n = in.read(out.array(), out.size(), want);
      if (n < 0) {
        return;
      }
      out.skip(n);
      if (out.size() > max) {
        throw new CorruptRecordException(
            "Decompressed " + type.configName + " records exceed the limit of " + max + " bytes");
      }
    }
  }

  private static OutputStream wrapForOutput(CompressionType type, OutputStream out) throws IOException {
    return switch (type) {
      case NONE -> out;
      case GZIP -> new GZIPOutputStream(out, GZIP_BUFFER_BYTES);
      case SNAPPY -> new SnappyOutputStream(out);
      case LZ4 -> new LZ4FrameOutputStream(
          out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB, LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE);
      case ZSTD -> new ZstdOutputStreamNoFinalizer(out, ZSTD_LEVEL);
    };
  }

  private static InputStream wrapForInput(CompressionType type, InputStream in) throws IOException {
    return switch (type) {
      case NONE -> in;
      case GZIP -> new GZIPInputStream(in, GZIP_BUFFER_BYTES);
      case SNAPPY -> new SnappyInputStream(in);
      case LZ4 -> new LZ4FrameInputStream(in);
      case ZSTD -> new ZstdInputStreamNoFinalizer(in);
    };
  }

  /** Reads a buffer's remaining bytes without copying them first; works for heap and direct buffers. */
  private static final class ByteBufferInputStream extends InputStream {
    private final ByteBuffer buffer;

    ByteBufferInputStream(ByteBuffer buffer) {
      this.buffer = buffer;
    }

    @Override
    public int read() {
      return buffer.hasRemaining() ? buffer.get() & 0xff : -1;
    }

    @Override
    public int read(byte[] dest, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      if (!buffer.hasRemaining()) {
        return -1;
      }
      int n = Math.min(length, buffer.remaining());
      buffer.get(dest, offset, n);
      return n;
    }

    @Override
    public int available() {
      return buffer.remaining();
    }
  }
}
