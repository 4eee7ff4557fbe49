package io.sluice.group;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * Decides which member of a group owns which partition. Pure functions of their arguments, no I/O, no clock:
 * implementations are tested against models.
 *
 * <p>Contract of {@link #assign}: every partition of every topic some member subscribes to goes to exactly one
 * member subscribed to its topic; every member appears in the result (possibly with an empty list); lists are
 * sorted by topic, then partition. With more members than partitions the extra members get empty lists.
 */
public interface Assignor {

  /** The name clients give in {@code partition.assignment.strategy}. */
  String name();

  /**
   * @param subscriptions member id to the topics it subscribes to (patterns already resolved), sorted by id
   * @param partitionCounts partitions of each subscribed topic that exists; topics not in it are ignored
   * @param current the assignment of the previous generation (only the sticky assignor reads it)
   */
  Map<String, List<TopicPartition>> assign(SortedMap<String, Set<String>> subscriptions,
      Map<String, Integer> partitionCounts, Map<String, List<TopicPartition>> current);

  /** The assignor called {@code name} ("range", "roundrobin", "sticky"; case-insensitive). */
  static Assignor named(String name) {
    return switch (name == null ? "" : name.toLowerCase(java.util.Locale.ROOT)) {
      case "range" -> new RangeAssignor();
      case "roundrobin", "round-robin", "round_robin" -> new RoundRobinAssignor();
      case "sticky" -> new StickyAssignor();
      default -> throw new SluiceException(ErrorCode.INVALID_REQUEST, "Unknown partition.assignment.strategy '"
          + name + "'; use range, roundrobin or sticky");
    };
  }
}
