package io.sluice.broker.metadata;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A partition's leadership, as stored in {@code /topics/<t>/partitions/<p>/state}.
 *
 * @param leader the leading broker, -1 when none
 * @param leaderEpoch bumped on every leader change; stamped on every batch the leader appends
 * @param isr the in-sync replicas, the leader included
 * @param zkVersion the znode's data version when read ({@code -1} for a state not yet written): every update is
 *     conditional on it, so two writers cannot both win
 * @param modifiedZxid the zxid of the znode's last write when read (0 when unknown or not yet written): an ISR
 *     member without a recorded broker epoch whose registration was created later has restarted since (see
 *     {@code Controller#restartedInIsr})
 * @param isrEpochs ISR member to its broker epoch (the zxid that created its registration) when it joined the ISR
 *     or was last confirmed in it; a member whose registration now has another zxid restarted since (KIP-903).
 *     Members without one (states written before epochs were recorded) fall back to {@code modifiedZxid}. Only ISR
 *     members are kept.
 */
public record PartitionState(int leader, int leaderEpoch, List<Integer> isr, int zkVersion, long modifiedZxid,
    Map<Integer, Long> isrEpochs) {
  public static final int NO_LEADER = -1;

  public PartitionState {
    isr = List.copyOf(isr);
    Map<Integer, Long> kept = new HashMap<>(isrEpochs);
    kept.keySet().retainAll(isr);
    isrEpochs = Map.copyOf(kept);
  }

  public PartitionState(int leader, int leaderEpoch, List<Integer> isr, int zkVersion, long modifiedZxid) {
    this(leader, leaderEpoch, isr, zkVersion, modifiedZxid, Map.of());
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

  /** This state with {@code epochs} as its ISR members' broker epochs (members outside the ISR are dropped). */
  public PartitionState withIsrEpochs(Map<Integer, Long> epochs) {
    return new PartitionState(leader, leaderEpoch, isr, zkVersion, modifiedZxid, epochs);
  }

  /** The broker epoch recorded for ISR member {@code broker}, or null when none is. */
  public Long isrEpoch(int broker) {
    return isrEpochs.get(broker);
  }

  public byte[] toJson() {
    JsonObject json = new JsonObject().put("version", 1).put("leader", leader).put("leader_epoch", leaderEpoch)
        .put("isr", new JsonArray(List.copyOf(isr)));
    if (!isrEpochs.isEmpty()) {
      JsonObject epochs = new JsonObject();
      new TreeMap<>(isrEpochs).forEach((b, e) -> epochs.put(Integer.toString(b), e));
      json.put("isr_epochs", epochs);
    }
    return json.toBuffer().getBytes();
  }

  public static PartitionState fromJson(byte[] data, int zkVersion) {
    return fromJson(data, zkVersion, 0);
  }

  public static PartitionState fromJson(byte[] data, int zkVersion, long modifiedZxid) {
    JsonObject json = new JsonObject(new String(data, StandardCharsets.UTF_8));
    List<Integer> isr = json.getJsonArray("isr", new JsonArray()).stream()
        .map(o -> ((Number) o).intValue()).toList();
    Map<Integer, Long> epochs = new HashMap<>();
    json.getJsonObject("isr_epochs", new JsonObject())
        .forEach(e -> epochs.put(Integer.parseInt(e.getKey()), ((Number) e.getValue()).longValue()));
    return new PartitionState(json.getInteger("leader", NO_LEADER), json.getInteger("leader_epoch", 0), isr,
        zkVersion, modifiedZxid, epochs);
  }
}
