package io.sluice.broker.cluster;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.vertx.core.Future;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Kafka's controlled shutdown, the first step of a clean stop: the broker marks its registration as stopping and
 * waits until the {@link Controller} has moved the leadership of every partition it leads that another live in-sync
 * replica (not stopping too) can take, while its listeners still serve. Clients then meet the new leaders at once
 * (a retriable NOT_LEADER_OR_FOLLOWER, then the new leader) instead of requests failing against a broker that is
 * going and leaders moving only once its registration is gone. Partitions no other replica can take stay led by
 * this broker until it is gone.
 */
public final class ControlledShutdown {
  private ControlledShutdown() {
  }

  /**
   * Marks {@code registration} as stopping and completes with the registration written once nothing is left to
   * move, or at once when nothing is to move; fails after {@code timeoutMs} (the stop goes on regardless).
   */
  public static Future<BrokerRegistration> run(ZkMetadataStore metadata, BrokerRegistration registration,
      long timeoutMs) {
    int broker = registration.id();
    MetadataSnapshot now = metadata.snapshot();
    if (!now.liveBrokerIds().contains(broker) || nothingToMove(now, broker)) {
      return Future.succeededFuture(registration);
    }
    BrokerRegistration stopping = registration.stopping();
    return metadata.updateRegistration(stopping)
        .compose(v -> metadata.awaitSnapshot(s -> nothingToMove(s, broker), timeoutMs,
            "the controller to move the leadership of broker " + broker + "'s partitions (controlled shutdown)"))
        .map(s -> stopping);
  }

  /** True when no partition led by {@code broker} has a replica the controller would hand leadership to. */
  static boolean nothingToMove(MetadataSnapshot snapshot, int broker) {
    Set<Integer> leaving = new HashSet<>(snapshot.brokersInControlledShutdown());
    leaving.add(broker);
    for (TopicState topic : snapshot.topics().values()) {
      for (Map.Entry<Integer, PartitionState> e : topic.states().entrySet()) {
        PartitionState state = e.getValue();
        if (state.leader() == broker && Controller.leaderOffLeaving(topic.assignment().get(e.getKey()), state,
            new Controller.Candidates(snapshot.liveBrokerIds(), leaving, snapshot.brokersStarting())) != null) {
          return false;
        }
      }
    }
    return true;
  }
}
