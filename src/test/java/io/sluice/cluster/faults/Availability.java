package io.sluice.cluster.faults;

import io.sluice.cluster.faults.History.Fault;
import io.sluice.cluster.faults.History.Outcome;
import io.sluice.cluster.faults.History.Produce;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Availability as the producers saw it: a partition is unavailable while no produce to it is acknowledged for longer
 * than {@code quietNanos} (producers retry all the time, so a longer silence is an outage, not a lull); a fault's
 * failover time is how long after the fault the first produce sent after it was acknowledged on every partition the
 * target led.
 */
public final class Availability {
  private final History history;
  private final long quietNanos;

  public Availability(History history, long quietNanos) {
    this.history = history;
    this.quietNanos = quietNanos;
  }

  /** Partition → seconds without an acknowledgement for longer than the quiet time, between from and to. */
  public Map<Integer, Double> unavailableSeconds(List<Integer> partitions, long fromNanos, long toNanos) {
    Map<Integer, Double> out = new TreeMap<>();
    for (int p : partitions) {
      long previous = fromNanos;
      long down = 0;
      for (Produce ack : acks(p)) {
        if (ack.endNanos() < fromNanos || ack.endNanos() > toNanos) {
          continue;
        }
        down += silence(previous, ack.endNanos());
        previous = ack.endNanos();
      }
      down += silence(previous, toNanos);
      out.put(p, down / 1e9);
    }
    return out;
  }

  private long silence(long from, long to) {
    return to - from > quietNanos ? to - from : 0;
  }

  /** A fault that hit a leader and how long produce took to resume on its partitions; -1 if it never did. */
  public record Failover(Fault fault, long millis) {
    @Override
    public String toString() {
      return Checker.seconds(fault.nanos()) + " " + fault.description() + ": produce resumed on "
          + fault.ledPartitions() + (millis < 0 ? " never" : " after " + millis + " ms");
    }
  }

  /** Every fault that hit a leader, with the time until produce resumed on all the partitions it led. */
  public List<Failover> failovers() {
    List<Failover> out = new ArrayList<>();
    for (Fault f : history.faults()) {
      if (f.healed() || f.ledPartitions().isEmpty()) {
        continue;
      }
      long worst = 0;
      for (int p : f.ledPartitions()) {
        long resumed = acks(p).stream().filter(a -> a.startNanos() >= f.nanos()).mapToLong(Produce::endNanos)
            .min().orElse(-1);
        worst = resumed < 0 || worst < 0 ? -1 : Math.max(worst, resumed - f.nanos());
      }
      out.add(new Failover(f, worst < 0 ? -1 : worst / 1_000_000));
    }
    return out;
  }

  private List<Produce> acks(int partition) {
    return history.produces().stream().filter(a -> a.outcome() == Outcome.OK && a.partition() == partition)
        .sorted(java.util.Comparator.comparingLong(Produce::endNanos)).toList();
  }
}
