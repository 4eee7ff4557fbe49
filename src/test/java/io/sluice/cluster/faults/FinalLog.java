package io.sluice.cluster.faults;

import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One partition after healing: the committed log read through the cluster (offset → value, below
 * {@code highWatermark}) and each replica's copy read from its segment files.
 *
 * @param committed what a consumer reading from offset 0 to the high watermark got from the leader
 * @param highWatermark the leader's high watermark when the log was read
 * @param replicas broker id → that replica's records below the high watermark, decoded from its own files
 * @param replicaBytes broker id → that replica's segment bytes up to the end of the last batch below the high
 *     watermark (replicas copy the leader's bytes unchanged, so these must be identical)
 */
public record FinalLog(SortedMap<Long, String> committed, long highWatermark, Map<Integer, SortedMap<Long, String>> replicas,
    Map<Integer, byte[]> replicaBytes) {

  public FinalLog {
    committed = new TreeMap<>(committed);
    replicas = Map.copyOf(replicas);
    replicaBytes = Map.copyOf(replicaBytes);
  }

  /** A final log whose replicas all hold exactly {@code committed} (for hand-made histories). */
  public static FinalLog agreed(SortedMap<Long, String> committed, int... brokers) {
    Map<Integer, SortedMap<Long, String>> replicas = new TreeMap<>();
    Map<Integer, byte[]> bytes = new TreeMap<>();
    for (int b : brokers) {
      replicas.put(b, committed);
      bytes.put(b, committed.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    long hw = committed.isEmpty() ? 0 : committed.lastKey() + 1;
    return new FinalLog(committed, hw, replicas, bytes);
  }

  /** True if the replica's bytes below the high watermark equal {@code other}'s. */
  boolean sameBytes(int broker, int other) {
    return Arrays.equals(replicaBytes.get(broker), replicaBytes.get(other));
  }
}
