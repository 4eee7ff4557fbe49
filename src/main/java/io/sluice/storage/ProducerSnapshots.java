package io.sluice.storage;

import io.sluice.api.TopicPartition;
import io.sluice.errors.StorageException;
import io.sluice.storage.ProducerStateTracker.BatchEntry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A partition's producer-state snapshots (Kafka's {@code <offset>.snapshot} files): the idempotent and sequenced
 * producers' state and the ongoing transactions as they stood below an offset, so that opening a log reads one
 * small file and replays only the batches after it, instead of guessing how far back to scan. Without them a
 * producer whose last batches are older than the scan is forgotten, and a transaction open across more segments
 * than the scan loses its first offset (the last stable offset and read_committed go wrong after a restart).
 *
 * <p><b>On disk</b>: {@code <log dir>/<offset, 20 digits>.snapshot}, the state of every batch below {@code offset}
 * (the log end when it was written: at each roll and at a clean close). Big-endian:
 * <pre>
 *   version      int16   2 (1 is read too: its producers' coordinator epochs are -1)
 *   crc          int32   CRC-32C of every byte after this field
 *   offset       int64   as in the name (a renamed file is refused)
 *   producers    int32   count, least recently used first (the order the bound evicts in)
 *     producerId int64, epoch int16, flags int8 (bit 0: sequenced), batches int8 (at most the window, 5),
 *       per batch, oldest first: firstSeq int64, lastSeq int64, firstOffset int64, lastOffset int64,
 *       then (version 2) coordinatorEpoch int32: of the producer's last transaction marker, -1 before one
 *   transactions int32   count of ongoing transactions
 *     producerId int64, firstOffset int64
 * </pre>
 * A file is written whole through {@link AtomicFile} after the bytes it describes were fsynced, so it never names
 * a batch a crash can lose; a recovery that cut the log below it deletes it ({@link #deleteAbove}).
 *
 * <p><b>Bounds</b>: the newest {@value #KEPT} are kept (enough for a follower's truncation, which cuts near the end);
 * those below the first segment go with retention; a truncation deletes those above its point. A corrupt or
 * unreadable file is deleted and the next older one used; with none the log falls back to scanning batch headers
 * ({@link ProducerStateTracker#rebuild}): never a refusal to open, never a lost record.
 *
 * <p><b>Threading</b>: the log's owner thread only.
 */
final class ProducerSnapshots {
  private static final System.Logger LOG = System.getLogger(ProducerSnapshots.class.getName());
  static final String SUFFIX = ".snapshot";
  static final int KEPT = 3;
  private static final short VERSION = 2;
  /** Before the producers' coordinator epochs. */
  private static final short VERSION_1 = 1;
  private static final int HEADER_BYTES = 2 + 4;

  /** One producer's state: its epoch, kind, last batches and its last marker's coordinator epoch (-1: none). */
  record Producer(long producerId, short epoch, boolean sequenced, List<BatchEntry> batches, int coordinatorEpoch) {
  }

  /** The state below {@code offset}: producers (least recently used first) and ongoing transactions' first offsets. */
  record Snapshot(long offset, List<Producer> producers, Map<Long, Long> ongoingTxns) {
  }

  private final TopicPartition tp;
  private final Path dir;

  ProducerSnapshots(TopicPartition tp, Path dir) {
    this.tp = tp;
    this.dir = dir;
  }

  static String fileName(long offset) {
    return String.format("%020d%s", offset, SUFFIX);
  }

  /** The offset in a snapshot file name, or -1 if the name is not a snapshot's. */
  static long parseOffset(String name) {
    if (name.length() != 20 + SUFFIX.length() || !name.endsWith(SUFFIX)) {
      return -1;
    }
    try {
      return Long.parseLong(name, 0, 20, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The offsets of the snapshot files, oldest first. */
  List<Long> offsets() {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> parseOffset(p.getFileName().toString())).filter(o -> o >= 0).sorted().toList();
    } catch (IOException e) {
      throw new StorageException("Cannot list the producer snapshots of partition " + tp + " in " + dir + ": " + e, e);
    }
  }

  /** Writes {@code s} (durably, atomically) and deletes the oldest beyond {@value #KEPT}. */
  void write(Snapshot s) throws IOException {
    Path file = dir.resolve(fileName(s.offset()));
    AtomicFile.replace(file, dir.resolve(fileName(s.offset()) + ".tmp"), encode(s));
    List<Long> all = offsets();
    for (int i = 0; i < all.size() - KEPT; i++) {
      Files.deleteIfExists(dir.resolve(fileName(all.get(i))));
    }
  }

  /**
   * The newest readable snapshot at or below {@code offset}, or null. Leftover temporary files and snapshots that
   * fail their checks are deleted on the way (logged): the caller falls back to an older one or to a scan.
   */
  Snapshot newestAtOrBelow(long offset) {
    deleteTemporaries();
    List<Long> all = offsets();
    for (int i = all.size() - 1; i >= 0; i--) {
      long at = all.get(i);
      if (at > offset) {
        continue;
      }
      Path file = dir.resolve(fileName(at));
      try {
        return decode(file, at, Files.readAllBytes(file));
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.WARNING, "Partition {0}: producer snapshot {1} is unreadable ({2}); deleting it and using an"
            + " older one or a scan of the log", tp, file, e.toString());
        delete(at);
      }
    }
    return null;
  }

  /** Deletes the snapshots above {@code offset} (a truncation or a recovery cut the log there). */
  void deleteAbove(long offset) {
    offsets().stream().filter(o -> o > offset).forEach(this::delete);
  }

  /** Deletes the snapshots below {@code offset} (the first segment's base: retention deleted the older ones). */
  void deleteBelow(long offset) {
    offsets().stream().filter(o -> o < offset).forEach(this::delete);
  }

  /** Deletes every snapshot (the log was emptied). */
  void deleteAll() {
    offsets().forEach(this::delete);
  }

  private void delete(long offset) {
    Path file = dir.resolve(fileName(offset));
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new StorageException("Cannot delete producer snapshot " + file + " of partition " + tp + ": " + e, e);
    }
  }

  private void deleteTemporaries() {
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : list.filter(p -> p.getFileName().toString().endsWith(SUFFIX + ".tmp")).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new StorageException("Cannot list the producer snapshots of partition " + tp + " in " + dir + ": " + e, e);
    }
  }

  static byte[] encode(Snapshot s) {
    int size = HEADER_BYTES + 8 + 4 + 4 + s.ongoingTxns().size() * 16;
    for (Producer p : s.producers()) {
      size += 8 + 2 + 1 + 1 + p.batches().size() * 32 + 4;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.putShort(VERSION).putInt(0).putLong(s.offset()).putInt(s.producers().size());
    for (Producer p : s.producers()) {
      out.putLong(p.producerId()).putShort(p.epoch()).put((byte) (p.sequenced() ? 1 : 0))
          .put((byte) p.batches().size());
      for (BatchEntry b : p.batches()) {
        out.putLong(b.firstSeq()).putLong(b.lastSeq()).putLong(b.firstOffset()).putLong(b.lastOffset());
      }
      out.putInt(p.coordinatorEpoch());
    }
    out.putInt(s.ongoingTxns().size());
    s.ongoingTxns().forEach((pid, first) -> out.putLong(pid).putLong(first));
    out.putInt(2, crc(out.array()));
    return out.array();
  }

  static Snapshot decode(Path file, long expectedOffset, byte[] bytes) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      short version = in.getShort();
      if (version != VERSION && version != VERSION_1) {
        throw new IOException("version " + version + ", expected " + VERSION + " or " + VERSION_1);
      }
      if (in.getInt() != crc(bytes)) {
        throw new IOException("CRC mismatch");
      }
      long offset = in.getLong();
      if (offset != expectedOffset) {
        throw new IOException("offset " + offset + " inside, " + expectedOffset + " in the name");
      }
      List<Producer> producers = new ArrayList<>();
      for (int n = count(in, 14); n > 0; n--) {
        long pid = in.getLong();
        short epoch = in.getShort();
        boolean sequenced = (in.get() & 1) != 0;
        List<BatchEntry> batches = new ArrayList<>();
        for (int b = in.get(); b > 0; b--) {
          batches.add(new BatchEntry(in.getLong(), in.getLong(), in.getLong(), in.getLong()));
        }
        int coordinatorEpoch = version == VERSION_1 ? -1 : in.getInt();
        producers.add(new Producer(pid, epoch, sequenced, List.copyOf(batches), coordinatorEpoch));
      }
      Map<Long, Long> ongoing = new LinkedHashMap<>();
      for (int n = count(in, 16); n > 0; n--) {
        ongoing.put(in.getLong(), in.getLong());
      }
      if (in.hasRemaining()) {
        throw new IOException(in.remaining() + " bytes after the content");
      }
      return new Snapshot(offset, List.copyOf(producers), ongoing);
    } catch (BufferUnderflowException e) {
      throw new IOException("truncated " + file, e);
    }
  }

  /** A count read from {@code in}, checked against the bytes left (a corrupt count must not allocate). */
  private static int count(ByteBuffer in, int minEntryBytes) throws IOException {
    int n = in.getInt();
    if (n < 0 || (long) n * minEntryBytes > in.remaining()) {
      throw new IOException("count " + n + " exceeds the " + in.remaining() + " bytes left");
    }
    return n;
  }

  private static int crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, HEADER_BYTES, bytes.length - HEADER_BYTES);
    return (int) crc.getValue();
  }
}
