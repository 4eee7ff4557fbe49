package io.sluice.broker.metadata;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A partition's replica reassignment in progress, as Kafka's KIP-455 keeps it: while it lasts the partition's
 * replicas (its assignment) are the target replicas followed by the original ones that leave, so both sets fetch,
 * and this records which are being added and which removed. Target = replicas - removing; original = replicas -
 * adding. Stored in the topic's znode ({@code adding_replicas}, {@code removing_replicas}), so it outlives a
 * controller change and a broker restart.
 *
 * @param adding replicas in the target that were not in the original set: they create their logs and catch up
 * @param removing replicas of the original set not in the target: dropped (their logs deleted) once it completes
 */
public record PartitionReassignment(List<Integer> adding, List<Integer> removing) {
  public PartitionReassignment {
    adding = List.copyOf(adding);
    removing = List.copyOf(removing);
  }

  /** The replicas the partition ends with. */
  public List<Integer> target(List<Integer> replicas) {
    return replicas.stream().filter(b -> !removing.contains(b)).toList();
  }

  /** The replicas the partition had before (what a cancellation returns to). */
  public List<Integer> original(List<Integer> replicas) {
    return replicas.stream().filter(b -> !adding.contains(b)).toList();
  }

  /**
   * The replicas and reassignment after asking for {@code target} on a partition whose replicas are {@code replicas}
   * and whose reassignment is {@code current} (null: none), as Kafka's {@code ReplicaAssignment.reassignTo}: the full
   * set is the target then the original replicas not in it, preferred leader first. A new target replaces an ongoing
   * reassignment (replicas it was adding that the new target leaves out go at once); the original set as target
   * (a cancellation) or a reordering of the replicas needs no reassignment at all (null in {@link Planned}).
   */
  public static Planned reassignTo(List<Integer> replicas, PartitionReassignment current, List<Integer> target) {
    List<Integer> original = current == null ? replicas : current.original(replicas);
    Set<Integer> full = new LinkedHashSet<>(target);
    full.addAll(original);
    List<Integer> all = new ArrayList<>(full);
    List<Integer> adding = all.stream().filter(b -> !original.contains(b)).toList();
    List<Integer> removing = all.stream().filter(b -> !target.contains(b)).toList();
    return new Planned(all, adding.isEmpty() && removing.isEmpty() ? null
        : new PartitionReassignment(adding, removing));
  }

  /** A partition's replicas and its reassignment (null when none is in progress). */
  public record Planned(List<Integer> replicas, PartitionReassignment reassignment) {
    public Planned {
      replicas = List.copyOf(replicas);
    }
  }
}
