package io.sluice.streams;

import io.sluice.api.TopicPartition;
import io.sluice.record.Header;
import io.sluice.streams.TaskWriter.Out;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An upstream task's side of {@link JoinSync}: after each fetch it appends a progress marker to every partition of
 * the join's repartition topic, after the fetch's records there: the highest time of the records it forwarded and
 * whether it reached its input's end (caught up). With records, the markers go in the fetch's batches, sequenced
 * after the last record's outputs ({@code (offset << 16) | 0xffff}, an index no output takes), so a replay's copies
 * are dropped like its other outputs; a fetch without records that changes the caught-up state writes them apart,
 * without the producer id. Context thread and pool in turn (one fetch at a time), never both at once.
 */
final class JoinProgress {
  private final String repartition;
  private final String side;
  private long time = Long.MIN_VALUE;
  private Boolean reported;
  private Boolean pending;

  JoinProgress(StreamDefinition d, TopicPartition input) {
    this.repartition = d.repartitionTopic();
    this.side = JoinSync.side(d, input.topic());
  }

  /** The progress marker for a task of {@code d} reading {@code input}, or null if it feeds no synchronised join. */
  static JoinProgress of(StreamDefinition d, TopicPartition input) {
    return JoinSync.applies(d) && !input.topic().equals(d.repartitionTopic()) ? new JoinProgress(d, input) : null;
  }

  /**
   * After a fetch's records ({@code processed} of them; the input continues at {@code next} of {@code end}): adds
   * the markers to {@code outputs}, or notes the ones {@link #flush} writes.
   */
  void after(Map<TopicPartition, List<Out>> outputs, int processed, long next, long end, int partitions) {
    for (Map.Entry<TopicPartition, List<Out>> e : outputs.entrySet()) {
      if (e.getKey().topic().equals(repartition)) {
        for (Out o : e.getValue()) {
          time = Math.max(time, o.output().timestamp());
        }
      }
    }
    boolean caughtUp = next >= end;
    if (processed == 0) {
      pending = Objects.equals(reported, caughtUp) ? null : caughtUp;
      return;
    }
    List<Header> headers = JoinSync.progressHeaders(side, time, caughtUp);
    for (int p = 0; p < partitions; p++) {
      outputs.computeIfAbsent(new TopicPartition(repartition, p), k -> new ArrayList<>())
          .add(new Out((next - 1) << 16 | 0xffff, new Processor.Output(repartition, p, null, null, headers,
              Math.max(0, time))));
    }
    reported = caughtUp;
    pending = null;
  }

  /** Writes the markers a fetch without records noted (completes once all are acknowledged). */
  Future<Void> flush(TaskWriter writer, int partitions) {
    Boolean caughtUp = pending;
    if (caughtUp == null) {
      return Future.succeededFuture();
    }
    List<Future<Void>> writes = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      writes.add(writer.writeMarker(new TopicPartition(repartition, p),
          JoinSync.progressHeaders(side, time, caughtUp)));
    }
    return Future.all(writes).map(v -> {
      reported = caughtUp;
      pending = null;
      return null;
    });
  }
}
