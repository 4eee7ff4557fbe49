package io.sluice.streams;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a stream task's records reach their partitions (outputs, dead letters, and any other topic a task writes):
 * {@link #write} one partition's records in sequence order, one request at a time, {@code acks=all}.
 *
 * <p><b>Exactly once.</b> The writer is a <i>sequenced producer</i> ({@link RecordBatch#SEQUENCED_FLAG_MASK}) whose
 * id belongs to the task (the stream's incarnation and the input partition, {@link #producerId}), so every broker
 * running the task, before or after a failover, writes as the same producer. Each record's sequence
 * ({@link RecordBatch#SEQUENCE_HEADER}) is its input offset {@code << 16 | index among that input's records}, so a
 * replayed input gets the same sequences, and the partition's leader writes only records above the producer's last
 * sequence there: a replay after a restart and a dead owner's write that lands late are both taken out by the
 * broker, whatever the order in which they arrive. That holds while each writer of a partition sends its records in
 * order and acts only on acknowledgements. A retriable error (the partition's leader moving) sends the same batch
 * again ({@link Retrying}): the broker takes out what the first try already wrote, as it does a replay's; any other
 * error, or one that outlasts the retries, ends the task, whose successor replays from the checkpoint.
 * {@code at_least_once} writes the same records without the producer id (a retry there may write a record twice,
 * as its replay does).
 */
final class TaskWriter {
  static final String TASK_HEADER = "sluice.streams.task";
  private static final int BATCH_MAX_BYTES = 256 * 1024;
  private static final long STREAM_PRODUCER_BIT = 1L << 62;

  /** One record to write and its sequence (rising along the task's input; gaps allowed). */
  record Out(long seq, Processor.Output output) {
  }

  private final Vertx vertx;
  private final BrokerService cluster;
  private final RequestContext caller;
  private final byte[] taskIdBytes;
  private final long producerId;

  /** {@code producerId}: {@link #producerId} for exactly once, -1 for at least once. */
  TaskWriter(Vertx vertx, BrokerService cluster, RequestContext caller, String taskId, long producerId) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.caller = caller;
    this.taskIdBytes = taskId.getBytes(StandardCharsets.UTF_8);
    this.producerId = producerId;
  }

  /**
   * The task's producer id, the same on every broker: a hash of the stream's incarnation (its definition's creation,
   * so a stream deleted and made again starts afresh) and the task id, with bit 62 set, above every id
   * {@code POST /producers} hands out (those count up from 0), so a stream task never shares an id with a client.
   */
  static long producerId(long incarnation, String taskId) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest((incarnation + "/" + taskId)
          .getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(h).getLong() & (STREAM_PRODUCER_BIT - 1) | STREAM_PRODUCER_BIT;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@code outs} (rising sequences) to {@code tp} in order; completes once all are acknowledged. */
  Future<Void> write(TopicPartition tp, List<Out> outs) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE);
    if (producerId >= 0) {
      b.producer(producerId, (short) 0, 0).sequenced();
    }
    int i = 0;
    for (; i < outs.size(); i++) {
      if (b.recordCount() > 0 && b.estimatedSizeInBytes() > BATCH_MAX_BYTES) {
        break;
      }
      Out o = outs.get(i);
      b.append(Math.max(0, o.output().timestamp()), o.output().key(), o.output().value(), headers(o));
    }
    List<Out> rest = outs.subList(i, outs.size());
    return produce(tp, b.build()).compose(r -> rest.isEmpty() ? Future.succeededFuture() : write(tp, rest));
  }

  /**
   * Writes a compaction bound marker to the changelog partition {@code tp}: from now on its records of sequences at
   * or above {@code seq} supersede nothing there (see {@code storage.LogCleaner}). Written without the producer id:
   * a marker is not an output and must never be taken for one already written. Call it only once the checkpoint it
   * stands for is durable.
   */
  Future<Void> writeBound(TopicPartition tp, long seq) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE)
        .append(System.currentTimeMillis(), null, null, List.of(Header.of(RecordBatch.COMPACTION_BOUND_HEADER,
            Long.toString(seq))));
    return produce(tp, b.build()).mapEmpty();
  }

  /**
   * Writes a join's marker ({@link JoinSync}: a record without key or value, {@code headers} and the task header) to
   * {@code tp}, without the producer id: it is no output, and a replay's marker must not be taken for one already
   * written (the join reads whatever markers the log holds, in its order).
   */
  Future<Void> writeMarker(TopicPartition tp, List<Header> headers) {
    List<Header> all = new ArrayList<>(headers);
    all.add(new Header(TASK_HEADER, taskIdBytes));
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).append(System.currentTimeMillis(), null,
        null, all);
    return produce(tp, b.build()).mapEmpty();
  }

  private Future<ProduceResult> produce(TopicPartition tp, ByteBuffer batch) {
    // each try sends the batch from its start; a local leader's append may have set its base offset and epoch in
    // place, fields outside the CRC that every append sets again
    return Retrying.call(vertx, () -> cluster.produce(caller, tp, batch.duplicate(), Acks.ALL));
  }

  private List<Header> headers(Out o) {
    List<Header> headers = new ArrayList<>(o.output().headers().size() + 2);
    for (Header h : o.output().headers()) {
      if (!h.key().equals(TASK_HEADER) && !h.key().equals(RecordBatch.SEQUENCE_HEADER)) {
        headers.add(h);
      }
    }
    headers.add(new Header(TASK_HEADER, taskIdBytes));
    headers.add(Header.of(RecordBatch.SEQUENCE_HEADER, Long.toString(o.seq())));
    return headers;
  }
}
