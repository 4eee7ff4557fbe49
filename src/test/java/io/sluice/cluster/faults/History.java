package io.sluice.cluster.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the clients of a fault run did and saw, recorded as it happens: every produce attempt with its outcome, every
 * record and high watermark a consumer read, every deliberate consumer seek, and the nemesis's faults. Times are
 * nanoseconds since the run started ({@link #nanos()}).
 *
 * <p>Thread-safe: producers, consumers and the nemesis record from their own threads; the checker reads the
 * snapshots after they stopped. Reads and seeks carry an {@code order} that totally orders them. A record value names its producer and sequence number ({@link #value}), so the
 * final log can be mapped back to the attempts.
 */
public final class History {
  /** How a produce attempt ended. */
  public enum Outcome {
    /** Acknowledged with an offset: it must be in the final log at that offset. */
    OK,
    /** Refused with an error that guarantees it was not appended (for example NOT_ENOUGH_REPLICAS). */
    FAILED,
    /** Timed out, connection reset, or an error after which it may or may not have been appended. */
    INDETERMINATE
  }

  /** One produce attempt; {@code offset} is -1 unless acknowledged. */
  public record Produce(String producer, long seq, int partition, String value, Outcome outcome, long offset,
      long startNanos, long endNanos, String detail) {
  }

  /** One record a consumer read, with the high watermark of the fetch response that carried it. */
  public record Read(String consumer, int partition, long offset, String value, long nanos, long order) {
  }

  /** A high watermark a consumer saw in a fetch response from broker {@code broker} (the one it sent to). */
  public record Watermark(String consumer, int partition, long highWatermark, int broker, long nanos) {
  }

  /** A consumer moved its position on purpose; the read that follows may start anywhere. */
  public record Seek(String consumer, int partition, long offset, long nanos, long order) {
  }

  /**
   * One nemesis step; {@code ledPartitions} are the partitions the target broker led when it was hit (the ones
   * that fail over), {@code healed} true for the step that undoes a fault.
   */
  public record Fault(long nanos, String description, List<Integer> ledPartitions, boolean healed) {
  }

  private final long startNanos = System.nanoTime();
  private final java.time.Instant started = java.time.Instant.now();
  /** Orders a consumer's reads and seeks exactly, where two clock readings could tie. */
  private final AtomicLong consumerEvents = new AtomicLong();
  private final ConcurrentLinkedQueue<Produce> produces = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Read> reads = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Watermark> watermarks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Seek> seeks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();

  /** The value a producer writes for its sequence number {@code seq}. */
  public static String value(String producer, long seq) {
    return producer + "-" + seq;
  }

  /** When the history was created (time 0 of the timeline), to match it with the brokers' logs. */
  public java.time.Instant started() {
    return started;
  }

  /** Nanoseconds since this history was created. */
  public long nanos() {
    return System.nanoTime() - startNanos;
  }

  public void produced(Produce p) {
    produces.add(p);
  }

  public void read(String consumer, int partition, long offset, String value) {
    reads.add(new Read(consumer, partition, offset, value, nanos(), consumerEvents.incrementAndGet()));
  }

  public void watermark(String consumer, int partition, long highWatermark, int broker) {
    watermarks.add(new Watermark(consumer, partition, highWatermark, broker, nanos()));
  }

  public void seek(String consumer, int partition, long offset) {
    seeks.add(new Seek(consumer, partition, offset, nanos(), consumerEvents.incrementAndGet()));
  }

  public void fault(String description, List<Integer> ledPartitions) {
    faults.add(new Fault(nanos(), description, List.copyOf(ledPartitions), false));
  }

  public void healed(String description) {
    faults.add(new Fault(nanos(), description, List.of(), true));
  }

  public List<Produce> produces() {
    return sorted(produces, Comparator.comparingLong(Produce::startNanos));
  }

  public List<Read> reads() {
    return sorted(reads, Comparator.comparingLong(Read::order));
  }

  public List<Watermark> watermarks() {
    return sorted(watermarks, Comparator.comparingLong(Watermark::nanos));
  }

  public List<Seek> seeks() {
    return sorted(seeks, Comparator.comparingLong(Seek::order));
  }

  public List<Fault> faults() {
    return sorted(faults, Comparator.comparingLong(Fault::nanos));
  }

  private static <T> List<T> sorted(ConcurrentLinkedQueue<T> q, Comparator<T> order) {
    List<T> list = new ArrayList<>(q);
    list.sort(order);
    return list;
  }
}
