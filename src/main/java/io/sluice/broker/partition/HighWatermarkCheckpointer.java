package io.sluice.broker.partition;

import io.sluice.storage.LogManager;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes the high watermarks of a broker's replicas to its data directory
 * ({@link LogManager#checkpointHighWatermarks}) every {@code replica.high.watermark.checkpoint.interval.ms} and once
 * more at clean shutdown, as Kafka's replica manager does. A restarted replica starts from its checkpointed high
 * watermark (bounded by its log), so consumers never see the high watermark of a restarted leader go backwards, nor
 * committed records hidden until its followers fetch again. After a crash the checkpoint may be up to one interval
 * old: the high watermark then starts lower than it was, and the leader raises it again from its followers' fetches.
 *
 * <p><b>Threading</b>: {@code highWatermarks} is called on a Vert.x event loop and must only read (a replica's
 * {@link PartitionVerticle#highWatermark()} is safe from any thread); the file is written on the storage worker pool,
 * one write at a time (a periodic write is skipped while the previous one runs). Methods may be called from any
 * thread.
 */
public final class HighWatermarkCheckpointer {
  private static final System.Logger LOG = System.getLogger(HighWatermarkCheckpointer.class.getName());

  private final Vertx vertx;
  private final LogManager store;
  private final WorkerExecutor storage;
  private final Supplier<Map<TopicPartition, Long>> highWatermarks;
  private final long intervalMs;
  private long timer = -1;
  private Future<Void> last = Future.succeededFuture();
  private boolean stopped;

  /**
   * @param highWatermarks the high watermark of every replica that is open here (replicas still opening must be
   *     left out: their high watermark is not known yet, and the store keeps their last checkpointed value)
   */
  public HighWatermarkCheckpointer(Vertx vertx, LogManager store, WorkerExecutor storage,
      Supplier<Map<TopicPartition, Long>> highWatermarks, long intervalMs) {
    this.vertx = vertx;
    this.store = store;
    this.storage = storage;
    this.highWatermarks = highWatermarks;
    this.intervalMs = intervalMs;
  }

  public synchronized void start() {
    timer = vertx.setPeriodic(intervalMs, id -> periodic());
  }

  private synchronized void periodic() {
    if (!stopped && last.isComplete()) {
      checkpoint();
    }
  }

  /** Writes the current high watermarks after any write in progress. */
  public synchronized Future<Void> checkpoint() {
    return write(highWatermarks.get());
  }

  private Future<Void> write(Map<TopicPartition, Long> highWatermarks) {
    Map<TopicPartition, Long> values = Map.copyOf(highWatermarks);
    last = last.transform(ignored -> storage.<Void>executeBlocking(() -> {
      store.checkpointHighWatermarks(values);
      return null;
    }, false)).onFailure(t -> LOG.log(Level.WARNING, "Could not checkpoint high watermarks: " + t));
    return last;
  }

  /**
   * Stops the periodic writes and writes {@code finalHighWatermarks} once more: the replicas' values after they
   * stopped (the supplier given at construction may no longer see them).
   */
  public synchronized Future<Void> stop(Map<TopicPartition, Long> finalHighWatermarks) {
    if (stopped) {
      return last;
    }
    stopped = true;
    vertx.cancelTimer(timer);
    return write(finalHighWatermarks);
  }

  /** Stops the periodic writes without a last one (a simulated crash, in tests). */
  synchronized void abandon() {
    stopped = true;
    vertx.cancelTimer(timer);
  }
}
