package io.sluice.cluster.faults;

import io.sluice.cluster.faults.History.Outcome;
import io.sluice.cluster.faults.History.Produce;
import java.util.List;
import java.util.Map;

/**
 * What a fault run prints: the seed (to replay it), the client counts, each anomaly count with its first findings,
 * unavailability per partition, failover times and the timeline of faults.
 */
public final class RunReport {
  private static final int SHOWN_PER_ANOMALY = 10;
  private final String name;
  private final long seed;
  private final History history;
  private final Map<String, List<String>> anomalies;
  private final Map<Integer, Double> unavailableSeconds;
  private final List<Availability.Failover> failovers;

  public RunReport(String name, long seed, History history, Map<String, List<String>> anomalies,
      Map<Integer, Double> unavailableSeconds, List<Availability.Failover> failovers) {
    this.name = name;
    this.seed = seed;
    this.history = history;
    this.anomalies = anomalies;
    this.unavailableSeconds = unavailableSeconds;
    this.failovers = failovers;
  }

  public long count(String anomaly) {
    return anomalies.get(anomaly).size();
  }

  public long anomalyCount() {
    return anomalies.values().stream().mapToLong(List::size).sum();
  }

  public long count(Outcome outcome) {
    return history.produces().stream().filter(p -> p.outcome() == outcome).count();
  }

  public List<Availability.Failover> failovers() {
    return failovers;
  }

  @Override
  public String toString() {
    List<Produce> produces = history.produces();
    StringBuilder b = new StringBuilder();
    b.append("=== fault run '").append(name).append("' seed=").append(seed)
        .append(" (replay with -Dfaults.seed=").append(seed).append("), time 0 = ").append(history.started())
        .append('\n');
    b.append("attempted=").append(produces.size()).append(" acknowledged=").append(count(Outcome.OK))
        .append(" failed=").append(count(Outcome.FAILED)).append(" indeterminate=")
        .append(count(Outcome.INDETERMINATE)).append(" read=").append(history.reads().size()).append('\n');
    anomalies.forEach((kind, found) -> {
      b.append(kind).append(": ").append(found.size()).append('\n');
      found.stream().limit(SHOWN_PER_ANOMALY).forEach(f -> b.append("    ").append(f).append('\n'));
    });
    unavailableSeconds.forEach((p, s) -> b.append(String.format(java.util.Locale.ROOT,
        "partition %d unavailable for %.1f s%n", p, s)));
    b.append("failovers:\n");
    failovers.forEach(f -> b.append("    ").append(f).append('\n'));
    b.append("timeline:\n");
    history.faults().forEach(f -> b.append("    ").append(Checker.seconds(f.nanos())).append(' ')
        .append(f.description()).append('\n'));
    return b.toString();
  }
}
