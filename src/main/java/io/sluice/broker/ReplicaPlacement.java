package io.sluice.broker;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where a new partition's replicas go (topic creation, partition growth). Without racks: round robin in id order, the
 * first replica (the preferred leader) moving one broker along per partition. When every broker has a
 * {@code broker.rack}: Kafka's rack-aware assignment (AdminUtils' {@code assignReplicasToBrokersRackAware}), so that
 * a partition's replicas span as many racks as there are and leaders spread evenly over brokers. Deterministic (Kafka
 * starts at a random broker; a fixed start, which Kafka's own tests use, keeps growth and tests reproducible). Pure.
 */
final class ReplicaPlacement {
  private ReplicaPlacement() {
  }

  /**
   * Places partitions {@code 0..partitionCount-1} (growth keeps the existing ones and takes the rest).
   *
   * @param racks every live broker's id and rack (null: none), in id order
   * @throws SluiceException INVALID_REPLICATION_FACTOR when some brokers have a rack and others not, as Kafka refuses
   */
  static Map<Integer, List<Integer>> assign(TreeMap<Integer, String> racks, int partitionCount, int rf) {
    long racked = racks.values().stream().filter(r -> r != null).count();
    if (racked == 0) {
      return roundRobin(new ArrayList<>(racks.keySet()), partitionCount, rf);
    }
    if (racked < racks.size()) {
      List<Integer> without = racks.keySet().stream().filter(id -> racks.get(id) == null).toList();
      throw new SluiceException(ErrorCode.INVALID_REPLICATION_FACTOR, "Not all brokers have rack information for"
          + " replica rack aware assignment (brokers without broker.rack: " + without + "); set broker.rack on"
          + " every broker or on none");
    }
    return rackAware(racks, partitionCount, rf);
  }

  static Map<Integer, List<Integer>> roundRobin(List<Integer> brokers, int partitionCount, int rf) {
    Map<Integer, List<Integer>> assignment = new TreeMap<>();
    for (int p = 0; p < partitionCount; p++) {
      List<Integer> replicas = new ArrayList<>(rf);
      for (int r = 0; r < rf; r++) {
        replicas.add(brokers.get((p + r) % brokers.size()));
      }
      assignment.put(p, replicas);
    }
    return assignment;
  }

  /**
   * Kafka's: brokers listed alternating racks; the first replica walks that list, each further replica the next
   * broker after it (shifted once per round over the brokers) on a rack without a replica of the partition yet, while
   * there is one, and on a broker without one.
   */
  private static Map<Integer, List<Integer>> rackAware(Map<Integer, String> racks, int partitionCount, int rf) {
    int rackCount = new HashSet<>(racks.values()).size();
    List<Integer> arranged = rackAlternated(racks);
    int n = arranged.size();
    Map<Integer, List<Integer>> assignment = new TreeMap<>();
    int shift = 0;
    for (int p = 0; p < partitionCount; p++) {
      if (p > 0 && p % n == 0) {
        shift++;
      }
      int first = p % n;
      int leader = arranged.get(first);
      List<Integer> replicas = new ArrayList<>(List.of(leader));
      Set<String> racksUsed = new HashSet<>(Set.of(racks.get(leader)));
      Set<Integer> brokersUsed = new HashSet<>(Set.of(leader));
      for (int k = 0; replicas.size() < rf; k++) {
        int broker = arranged.get((first + 1 + (shift * rackCount + k) % (n - 1)) % n);
        String rack = racks.get(broker);
        if ((!racksUsed.contains(rack) || racksUsed.size() == rackCount)
            && (!brokersUsed.contains(broker) || brokersUsed.size() == n)) {
          replicas.add(broker);
          racksUsed.add(rack);
          brokersUsed.add(broker);
        }
      }
      assignment.put(p, replicas);
    }
    return assignment;
  }

  /** Brokers taking turns by rack (racks in name order, brokers of a rack in id order): {@code a1, b1, c1, a2, ...}. */
  static List<Integer> rackAlternated(Map<Integer, String> racks) {
    Map<String, List<Integer>> byRack = new TreeMap<>();
    new TreeMap<>(racks).forEach((id, rack) -> byRack.computeIfAbsent(rack, r -> new ArrayList<>()).add(id));
    List<Iterator<Integer>> iterators = byRack.values().stream().map(List::iterator).toList();
    List<Integer> out = new ArrayList<>(racks.size());
    for (int i = 0; out.size() < racks.size(); i = (i + 1) % iterators.size()) {
      if (iterators.get(i).hasNext()) {
        out.add(iterators.get(i).next());
      }
    }
    return out;
  }
}
