package io.sluice.broker.metadata;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.jute.BinaryOutputArchive;

/**
 * Refuses a ZooKeeper transaction too large for one request packet before it is sent.
 *
 * <p>Why: a ZooKeeper server closes the connection of a client whose request exceeds {@code jute.maxbuffer}
 * (1 MiB less a byte by default); Curator then reconnects and retries the same packet, so one oversized topic
 * creation (about 4,000 partitions with a short name, fewer with a long one) would repeatedly drop the broker's
 * session, its controller leadership with it, and finally answer 500. Measuring the serialized operations keeps
 * that a 400 for the request that asked for it. Stateless and thread-safe; called on a worker thread.
 */
final class ZkTransactionLimit {
  /**
   * Bytes one transaction may take: ZooKeeper's default {@code jute.maxbuffer} (1,048,575) less room for the
   * request and multi headers, unless this JVM sets {@code jute.maxbuffer} itself (then the servers are assumed to
   * match it).
   */
  static final int MAX_BYTES = Integer.getInteger("jute.maxbuffer", 1_048_575) - 48 * 1024;
  /** Per operation: its multi header (type, done flag, error) and the op type. */
  private static final int PER_OP_OVERHEAD = 16;

  private ZkTransactionLimit() {
  }

  /** The serialized size of {@code ops} as one multi request, approximately (headers estimated). */
  static long bytes(List<CuratorOp> ops) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryOutputArchive archive = BinaryOutputArchive.getArchive(out);
    try {
      for (CuratorOp op : ops) {
        op.get().toRequestRecord().serialize(archive, "op");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.size() + (long) PER_OP_OVERHEAD * ops.size();
  }

  /** Throws INVALID_PARTITIONS naming {@code what} when {@code ops} would not fit in one ZooKeeper request. */
  static void check(List<CuratorOp> ops, String what) {
    long bytes = bytes(ops);
    if (bytes > MAX_BYTES) {
      throw new SluiceException(ErrorCode.INVALID_PARTITIONS, what + " would write " + bytes
          + " bytes of metadata to ZooKeeper in one transaction, above its limit of " + MAX_BYTES
          + " bytes; ask for fewer partitions (or a shorter topic name)");
    }
  }
}
