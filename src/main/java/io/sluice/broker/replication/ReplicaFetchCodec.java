package io.sluice.broker.replication;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The replica fetch messages as event-bus {@link Buffer} bodies. Big-endian, version first.
 *
 * <pre>
 * request:  version:int16=0  topicLength:int16  topic:utf8  partition:int32  followerId:int32  leaderEpoch:int32
 *           fetchOffset:int64  lastFetchedEpoch:int32  maxBytes:int32  maxWaitMs:int64  [brokerEpoch:int64]
 *           [logStartOffset:int64]
 * response: version:int16=0  errorCode:int32 (0 = none)  messageLength:int16  message:utf8  leaderEpoch:int32
 *           highWatermark:int64  logStartOffset:int64  divergingEpoch:int32  divergingEndOffset:int64
 *           records: the rest of the body (whole v2 batches)
 * </pre>
 *
 * <p>The request's {@code brokerEpoch} and {@code logStartOffset} are trailing fields of version 0, not a new
 * version: a broker without them reads the fixed fields and ignores the rest, and a request without them decodes with
 * an unknown epoch and log start, so brokers of both kinds replicate from each other during a rolling upgrade.
 */
public final class ReplicaFetchCodec {
  private static final short VERSION = 0;

  private ReplicaFetchCodec() {
  }

  public static Buffer encode(ReplicaFetchRequest r) {
    byte[] topic = r.tp().topic().getBytes(StandardCharsets.UTF_8);
    return Buffer.buffer(56 + topic.length).appendShort(VERSION).appendShort((short) topic.length).appendBytes(topic)
        .appendInt(r.tp().partition()).appendInt(r.followerId()).appendInt(r.leaderEpoch())
        .appendLong(r.fetchOffset()).appendInt(r.lastFetchedEpoch()).appendInt(r.maxBytes()).appendLong(r.maxWaitMs())
        .appendLong(r.brokerEpoch()).appendLong(r.logStartOffset());
  }

  public static ReplicaFetchRequest decodeRequest(Buffer b) {
    checkVersion(b);
    int topicLength = b.getShort(2);
    String topic = b.getString(4, 4 + topicLength, "UTF-8");
    int pos = 4 + topicLength;
    long brokerEpoch = b.length() >= pos + 44 ? b.getLong(pos + 36) : ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH;
    long logStart = b.length() >= pos + 52 ? b.getLong(pos + 44) : ReplicaFetchRequest.UNKNOWN_LOG_START;
    return new ReplicaFetchRequest(new TopicPartition(topic, b.getInt(pos)), b.getInt(pos + 4), b.getInt(pos + 8),
        b.getLong(pos + 12), b.getInt(pos + 20), b.getInt(pos + 24), b.getLong(pos + 28), brokerEpoch, logStart);
  }

  public static Buffer encode(ReplicaFetchResponse r) {
    return encodeHeader(r, Buffer.buffer(48 + r.message().length() * 3 + r.records().length()))
        .appendBuffer(r.records());
  }

  /**
   * Appends the response's fields before its records to {@code target}: a replica link writes them and the records
   * into one direct frame, so the records are copied once, where netty would copy a heap frame anyway.
   */
  public static Buffer encodeHeader(ReplicaFetchResponse r, Buffer target) {
    byte[] message = r.message().getBytes(StandardCharsets.UTF_8);
    return target.appendShort(VERSION)
        .appendInt(r.error() == null ? 0 : r.error().code()).appendShort((short) message.length).appendBytes(message)
        .appendInt(r.leaderEpoch()).appendLong(r.highWatermark()).appendLong(r.logStartOffset())
        .appendInt(r.divergingEpoch()).appendLong(r.divergingEndOffset());
  }

  /** The records are a slice of {@code b}, not a copy: the caller hands over a body nobody else writes to. */
  public static ReplicaFetchResponse decodeResponse(Buffer b) {
    checkVersion(b);
    int code = b.getInt(2);
    int messageLength = b.getShort(6);
    String message = b.getString(8, 8 + messageLength, "UTF-8");
    int pos = 8 + messageLength;
    ErrorCode error = code == 0 ? null : ErrorCodes.byCode(code);
    return new ReplicaFetchResponse(error, message, b.getInt(pos), b.getLong(pos + 4), b.getLong(pos + 12),
        b.getInt(pos + 20), b.getLong(pos + 24), b.slice(pos + 32, b.length()));
  }

  private static void checkVersion(Buffer b) {
    if (b.length() < 2 || b.getShort(0) != VERSION) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "Unsupported replica fetch message version");
    }
  }
}
