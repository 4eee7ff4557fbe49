package io.sluice.client;

import io.smallrye.mutiny.Uni;
import io.sluice.client.impl.ClientImpl;
import io.vertx.core.Vertx;

/**
 * The entry point: a connection to a Sluice cluster, made from any of its brokers' URLs.
 *
 * <p>The client learns the cluster's metadata (topics, partitions, leaders, and brokers' addresses where the
 * cluster publishes them) from whichever bootstrap broker answers, refreshes it every
 * {@link ClientOptions#metadataMaxAgeMs()} and whenever a broker says it is not a partition's leader, and sends each
 * partition's requests to its current leader.
 *
 * <p><b>Threads.</b> Every method may be called from any thread. The client's state lives on one Vert.x event-loop
 * context; {@code Uni}s and {@code Multi}s it returns emit on that context, so subscribers must not block them.
 * All returned {@code Uni}s are lazy, as Mutiny's are: nothing happens until they are subscribed.
 */
public interface SluiceClient {

  /** A client on its own Vert.x instance, which {@link #close()} closes. */
  static SluiceClient create(ClientOptions options) {
    return ClientImpl.create(null, options);
  }

  /** A client on the application's Vert.x instance, which it leaves open on {@link #close()}. */
  static SluiceClient create(Vertx vertx, ClientOptions options) {
    return ClientImpl.create(vertx, options);
  }

  /** A new producer. Each producer batches and retries on its own; create one per application, not per send. */
  Producer producer(ProducerOptions options);

  /** Topic and cluster administration. */
  Admin admin();

  /** Streams the cluster runs ({@code /streams}): create, describe, pause, update, preview. */
  Streams streams();

  /** A reader of one partition without a consumer group: offsets are the caller's business. */
  PartitionReader partitionReader(ReaderOptions options);

  /**
   * A new member of a consumer group; it joins when its {@link GroupConsumer#records()} is first subscribed. Close
   * it (or the client) to leave the group at once rather than after the session timeout.
   */
  GroupConsumer consumer(ConsumerOptions options);

  /**
   * A new member of a share group (KIP-932); it joins on {@link ShareConsumer#subscribe}. Close it (or the client)
   * to leave the group at once rather than after the session timeout.
   */
  ShareConsumer shareConsumer(ShareConsumerOptions options);

  /** Fetches the topic's metadata now, replacing the cached copy. */
  Uni<TopicDescription> refreshMetadata(String topic);

  /** Closes every producer (finishing its in-flight sends) and consumer, the HTTP connections and, if owned, Vert.x. */
  Uni<Void> close();
}
