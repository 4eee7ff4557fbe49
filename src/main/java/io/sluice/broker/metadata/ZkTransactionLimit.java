package io.sluice.broker.metadata;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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

  /**
   * The operations of one transaction, measured as they are added: the first that would take the transaction over
   * {@link #MAX_BYTES} fails it at once with INVALID_PARTITIONS, so a request for 100,000 partitions costs the work
   * of the few thousand that fit, not of serializing all of them (tens of MB, which took longer than the request
   * timeout on a loaded machine and answered REQUEST_TIMED_OUT instead of the 400). Not thread-safe: one per call.
   */
  static final class Ops {
    private final String what;
    private final List<CuratorOp> ops = new ArrayList<>();
    private final ByteArrayOutputStream scratch = new ByteArrayOutputStream();
    private long bytes;

    Ops(String what) {
      this.what = what;
    }

    void add(CuratorOp op) {
      scratch.reset();
      try {
        op.get().toRequestRecord().serialize(BinaryOutputArchive.getArchive(scratch), "op");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      bytes += scratch.size() + PER_OP_OVERHEAD;
      if (bytes > MAX_BYTES) {
        throw new SluiceException(ErrorCode.INVALID_PARTITIONS, what + " would write more than " + MAX_BYTES
            + " bytes of metadata to ZooKeeper in one transaction (its limit; reached at operation " + (ops.size() + 1)
            + "); ask for fewer partitions (or a shorter topic name)");
      }
      ops.add(op);
    }

    List<CuratorOp> list() {
      return ops;
    }
  }
}
