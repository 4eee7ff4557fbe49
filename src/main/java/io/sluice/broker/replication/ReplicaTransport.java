package io.sluice.broker.replication;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * How a follower's encoded {@link ReplicaFetchRequest} reaches its leader and the encoded response comes back. Only
 * the bytes' path differs between transports: what they carry, and so the replication protocol, is the same.
 */
@FunctionalInterface
public interface ReplicaTransport {
  /** The event bus's request/reply to {@link ClusterAddresses#replicaFetch}: every broker answers it. */
  ReplicaTransport EVENT_BUS = (vertx, leaderId, request, timeoutMs) -> vertx.eventBus()
      .<Buffer>request(ClusterAddresses.replicaFetch(leaderId), request, new DeliveryOptions().setSendTimeout(timeoutMs))
      .map(Message::body);

  /**
   * Sends {@code request} to broker {@code leaderId}; completes with its encoded response, on the caller's context,
   * or fails (link lost, no answer within {@code timeoutMs}).
   */
  Future<Buffer> fetch(Vertx vertx, int leaderId, Buffer request, long timeoutMs);

  /**
   * Called once the fetcher is done with a response {@link #fetch} gave it (its records appended or dropped): a
   * transport whose responses are pooled memory gives it back here. Nothing by default (the event bus's are heap).
   */
  default void release(Buffer response) {
  }
}
