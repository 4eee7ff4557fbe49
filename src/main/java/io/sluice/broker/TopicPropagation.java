package io.sluice.broker;

import io.sluice.broker.metadata.TopicState;
import io.vertx.core.Future;

/**
 * Waits, before a topic change is answered, until it has reached the other live brokers: {@link LocalBrokerService}
 * writes the change to ZooKeeper and waits for its own snapshot, but each broker follows ZooKeeper on its own, so
 * without this a call made right after a 201 through another broker, or forwarded to a leader on another broker,
 * could meet a snapshot without the topic (404 "does not exist"). Raw HTTP clients do not retry that, and REST v2
 * promises that a created topic is usable. Implemented by the cluster layer ({@code cluster.TopicSync}).
 */
public interface TopicPropagation {
  /** A broker with no peers to wait for. */
  TopicPropagation NONE = new TopicPropagation() {
    @Override
    public Future<Void> shown(TopicState topic) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> gone(TopicState topic) {
      return Future.succeededFuture();
    }
  };

  /**
   * Completes once every other live broker shows {@code topic} (by its id, with all its partitions) and has opened
   * its replicas of it; fails with REQUEST_TIMED_OUT, naming the brokers, when some do not within the bound.
   */
  Future<Void> shown(TopicState topic);

  /** Completes once no other live broker shows {@code topic} (by its id) and each has closed its replicas of it. */
  Future<Void> gone(TopicState topic);
}
