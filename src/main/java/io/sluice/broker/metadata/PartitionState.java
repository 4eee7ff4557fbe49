package io.sluice.broker.metadata;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A partition's leadership, as stored in {@code /topics/<t>/partitions/<p>/state}.
 *
 * @param leader the leading broker, -1 when none
 * @param leaderEpoch bumped on every leader change; stamped on every batch the leader appends
 * @param isr the in-sync replicas, the leader included
 * @param zkVersion the znode's data version when read ({@code -1} for a state not yet written): every update is
 *     conditional on it, so two writers cannot both win
 * @param modifiedZxid the zxid of the znode's last write when read (0 when unknown or not yet written): an ISR
 *     member whose registration was created later has restarted since (see {@code Controller#restartedInIsr})
 */
public record PartitionState(int leader, int leaderEpoch, List<Integer> isr, int zkVersion, long modifiedZxid) {
  public static final int NO_LEADER = -1;

  public PartitionState {
    isr = List.copyOf(isr);
  }

  public PartitionState(int leader, int leaderEpoch, List<Integer> isr, int zkVersion) {
    this(leader, leaderEpoch, isr, zkVersion, 0);
  }

  public static PartitionState initial(List<Integer> replicas) {
    return new PartitionState(replicas.get(0), 0, replicas, -1);
  }

  /** This state with {@code broker} as the new leader, the epoch bumped and the ISR reduced to it. */
  public PartitionState electLeader(int broker) {
    return new PartitionState(broker, leaderEpoch + 1, List.of(broker), zkVersion);
  }

  public byte[] toJson() {
    return new JsonObject().put("version", 1).put("leader", leader).put("leader_epoch", leaderEpoch)
        .put("isr", new JsonArray(List.copyOf(isr))).toBuffer().getBytes();
  }

  public static PartitionState fromJson(byte[] data, int zkVersion) {
    return fromJson(data, zkVersion, 0);
  }

  public static PartitionState fromJson(byte[] data, int zkVersion, long modifiedZxid) {
    JsonObject json = new JsonObject(new String(data, StandardCharsets.UTF_8));
    List<Integer> isr = json.getJsonArray("isr", new JsonArray()).stream()
        .map(o -> ((Number) o).intValue()).toList();
    return new PartitionState(json.getInteger("leader", NO_LEADER), json.getInteger("leader_epoch", 0), isr,
        zkVersion, modifiedZxid);
  }
}
