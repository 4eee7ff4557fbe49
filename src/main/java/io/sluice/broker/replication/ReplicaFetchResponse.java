package io.sluice.broker.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.BufferImpl;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * The leader's answer to a {@link ReplicaFetchRequest}.
 *
 * @param error null on success; otherwise the reason (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, ...)
 * @param message a human-readable explanation of {@code error}, empty on success
 * @param leaderEpoch the leader's current epoch
 * @param highWatermark the leader's high watermark
 * @param logStartOffset the leader's log start offset (-1 in errors other than OFFSET_OUT_OF_RANGE)
 * @param divergingEpoch when not -2: the follower's log diverges; truncate to where this epoch ends (see
 *     {@code divergingEndOffset}) and fetch again. -1 means the leader knows no epoch at or below the follower's last
 * @param divergingEndOffset where {@code divergingEpoch} ends in the leader's log
 * @param records whole batches starting at the fetch offset, as the leader stores them (empty when none). On the
 *     leader a response's records may be a reference of a pooled direct buffer (a woken fetch's, shared with the other
 *     followers the append woke): whoever takes a leader's answer writes or encodes it, then gives its records back once
 *     ({@link #releaseRecords}, or by handing {@link #recordsBuf} to netty, which releases what it wrote)
 */
public record ReplicaFetchResponse(ErrorCode error, String message, int leaderEpoch, long highWatermark,
    long logStartOffset, int divergingEpoch, long divergingEndOffset, Buffer records) {
  /** {@code divergingEpoch} when the logs do not diverge. */
  public static final int NO_DIVERGENCE = -2;

  public static ReplicaFetchResponse error(ErrorCode error, String message) {
    return new ReplicaFetchResponse(error, message, -1, -1, -1, NO_DIVERGENCE, -1, Buffer.buffer());
  }

  /**
   * OFFSET_OUT_OF_RANGE for a fetch below the leader's log start (retention or deleted records removed what the
   * follower still needs): carries the leader's log start, where the follower restarts its log.
   */
  public static ReplicaFetchResponse belowLogStart(int leaderEpoch, long highWatermark, long logStartOffset,
      String message) {
    return new ReplicaFetchResponse(ErrorCode.OFFSET_OUT_OF_RANGE, message, leaderEpoch, highWatermark,
        logStartOffset, NO_DIVERGENCE, -1, Buffer.buffer());
  }

  public static ReplicaFetchResponse diverging(int leaderEpoch, long highWatermark, long logStartOffset,
      int divergingEpoch, long endOffset) {
    return new ReplicaFetchResponse(null, "", leaderEpoch, highWatermark, logStartOffset, divergingEpoch, endOffset,
        Buffer.buffer());
  }

  public static ReplicaFetchResponse records(int leaderEpoch, long highWatermark, long logStartOffset,
      Buffer records) {
    return new ReplicaFetchResponse(null, "", leaderEpoch, highWatermark, logStartOffset, NO_DIVERGENCE, -1, records);
  }

  /**
   * A response's records over {@code bytes} as they are, not copied ({@code Buffer.buffer(byte[])} copies): the bytes
   * of a woken fetch's append, shared by every follower it wakes, or a storage read's own array. Whoever hands them
   * over writes to them no more; nothing on the way to the socket or the codec writes to a response's records.
   */
  public static Buffer wrap(byte[] bytes) {
    return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes));
  }

  /**
   * The records' own buffer, not Vert.x's {@code getByteBuf()} view (for a pooled buffer that view's release does
   * nothing: a released view leaks the pool's memory).
   */
  public ByteBuf recordsBuf() {
    return ((BufferImpl) records).byteBuf();
  }

  /** Gives the records back: a pooled buffer's reference returns to the pool, a heap buffer's release is harmless. */
  public void releaseRecords() {
    recordsBuf().release();
  }

  public boolean isDiverging() {
    return error == null && divergingEpoch != NO_DIVERGENCE;
  }
}
