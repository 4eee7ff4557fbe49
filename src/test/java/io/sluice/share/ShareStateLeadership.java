package io.sluice.share;

import io.sluice.api.ElectionType;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.testing.InProcessCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Moves the leadership of {@code __share_group_state}, and with it the keeping of the share groups, in tests. */
final class ShareStateLeadership {
  private static final TopicPartition STATE = ShareStateTopic.PARTITION;

  private ShareStateLeadership() {
  }

  static PartitionState state(MetadataSnapshot s) {
    return s.topic(STATE.topic()).map(t -> t.states().get(0)).orElse(null);
  }

  /** A reassignment putting {@code to} first among the partition's replicas, then a preferred election. */
  static void moveTo(InProcessCluster cluster, int to) throws Exception {
    List<Integer> order = new ArrayList<>(List.of(to));
    cluster.brokers().keySet().stream().sorted().filter(b -> b != to).forEach(order::add);
    var service = cluster.broker(to).service();
    service.alterPartitionReassignment(RequestContext.SELF, STATE, order)
        .await(InProcessCluster.WAIT_MS, TimeUnit.MILLISECONDS);
    cluster.awaitEverywhere(s -> s.topic(STATE.topic()).orElseThrow().assignment().get(0).get(0) == to
        && state(s).isr().size() == order.size());
    service.electLeaders(RequestContext.SELF, ElectionType.PREFERRED, List.of(STATE))
        .await(InProcessCluster.WAIT_MS, TimeUnit.MILLISECONDS);
    cluster.awaitEverywhere(s -> state(s).leader() == to);
  }
}
