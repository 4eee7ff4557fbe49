package io.sluice.client.impl;

import io.smallrye.mutiny.Uni;
import io.sluice.client.Admin;
import io.sluice.client.ShareConsumer;
import io.sluice.client.ShareConsumerOptions;
import io.sluice.client.Streams;
import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.GroupConsumer;
import io.sluice.client.PartitionReader;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicDescription;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client: one Vert.x context that owns the metadata cache and every producer's state, one HTTP transport
 * shared by all of them. See {@link SluiceClient} for the contract.
 */
public final class ClientImpl implements SluiceClient {
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Context context;
  private final Transport transport;
  private final Fetcher fetcher;
  private final MetadataCache metadata;
  private final long requestTimeoutMs;
  private final Set<ProducerImpl> producers = ConcurrentHashMap.newKeySet();
  private final Set<GroupConsumer> consumers = ConcurrentHashMap.newKeySet();
  private final Set<ShareConsumer> shareConsumers = ConcurrentHashMap.newKeySet();
  private final long metadataTimer;
  private volatile Future<Void> closing;

  private ClientImpl(Vertx vertx, boolean ownsVertx, ClientOptions options) {
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    // A context of our own: the caller's thread (if any) stays free, and our state has one home.
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.requestTimeoutMs = options.requestTimeoutMs();
    this.transport = new Transport(vertx, context, options.requestTimeoutMs(), options.maxConnectionsPerBroker(),
        options.connectionsMaxIdleMs(), Transport.tls(options), options.clientId(), options.authorization());
    if (options.bearerToken() != null) {
      transport.bearerTokens(BearerTokens.of(options.bearerToken(), context, options.loginRefresh()));
    } else if (options.oauthClientCredentials() != null) {
      transport.bearerTokens(BearerTokens.of(new TokenEndpoint(vertx, context, options.oauthClientCredentials(),
          Transport.tls(options)), options.loginRefresh()));
    }
    this.fetcher = new Fetcher(context, transport, options.clientRack());
    this.metadata = new MetadataCache(transport, options.bootstrapUrls(), options.metadataMaxAgeMs(),
        options.followLeaders()).clientRack(options.clientRack());
    // Timers set from a foreign thread run on some event loop; hop onto ours before touching the cache.
    this.metadataTimer = vertx.setPeriodic(options.metadataMaxAgeMs(), id -> Unis.run(context, metadata::refreshCached));
  }

  /** See {@link SluiceClient#create(Vertx, ClientOptions)}; {@code vertx} null makes and owns one. */
  public static SluiceClient create(Vertx vertx, ClientOptions options) {
    return vertx == null ? new ClientImpl(Vertx.vertx(), true, options) : new ClientImpl(vertx, false, options);
  }

  Context context() {
    return context;
  }

  Vertx vertx() {
    return vertx;
  }

  Transport transport() {
    return transport;
  }

  Fetcher fetcher() {
    return fetcher;
  }

  MetadataCache metadata() {
    return metadata;
  }

  long requestTimeoutMs() {
    return requestTimeoutMs;
  }

  void forget(ProducerImpl producer) {
    producers.remove(producer);
  }

  @Override
  public Producer producer(ProducerOptions options) {
    checkOpen();
    ProducerImpl p = new ProducerImpl(this, options.copy());
    producers.add(p);
    return p;
  }

  @Override
  public Admin admin() {
    checkOpen();
    return new AdminImpl(this);
  }

  @Override
  public Streams streams() {
    checkOpen();
    return new StreamsImpl(this);
  }

  @Override
  public PartitionReader partitionReader(ReaderOptions options) {
    checkOpen();
    return new PartitionReaderImpl(this, options);
  }

  @Override
  public GroupConsumer consumer(ConsumerOptions options) {
    checkOpen();
    GroupConsumer c = new GroupConsumerImpl(this, options);
    consumers.add(c);
    return c;
  }

  @Override
  public ShareConsumer shareConsumer(ShareConsumerOptions options) {
    checkOpen();
    ShareConsumer c = new ShareConsumerImpl(this, options);
    shareConsumers.add(c);
    return c;
  }

  @Override
  public Uni<TopicDescription> refreshMetadata(String topic) {
    return Unis.onContext(context, () -> metadata.refresh(topic));
  }

  /**
   * The base URL this client sends the partition's requests to now (its leader's advertised URL when known, else a
   * bootstrap broker's), from the cached metadata without fetching: a diagnostic for operators and tests.
   */
  public Uni<URI> partitionRequestUrl(String topic, int partition) {
    return Unis.onContext(context, () -> Future.succeededFuture(metadata.leaderUrl(topic, partition)));
  }

  /**
   * The base URL a group consumer of this client sends its instance's requests to now: the broker of the instance's
   * {@code base_uri} until that broker failed to answer, then the bootstrap broker the rotation is at. A diagnostic
   * for operators and tests, like {@link #partitionRequestUrl}.
   */
  public Uni<URI> consumerRequestUrl(GroupConsumer consumer) {
    return Unis.onContext(context, () -> Future.succeededFuture(((GroupConsumerImpl) consumer).requestUrl()));
  }

  @Override
  public Uni<Void> close() {
    return Unis.onContext(context, this::closeOnContext);
  }

  private Future<Void> closeOnContext() {
    if (closing == null) {
      vertx.cancelTimer(metadataTimer);
      List<Future<Void>> closed = new ArrayList<>();
      producers.forEach(p -> closed.add(p.closeOnContext()));
      // A consumer's close is a Uni on this context; subscribing here runs it at once.
      consumers.forEach(c -> {
        Promise<Void> done = Promise.promise();
        c.close().subscribe().with(done::complete, done::fail);
        closed.add(done.future());
      });
      shareConsumers.forEach(c -> {
        Promise<Void> done = Promise.promise();
        c.close().subscribe().with(done::complete, done::fail);
        closed.add(done.future());
      });
      closing = Future.join(closed)
          .transform(ar -> transport.close())
          .transform(ar -> ownsVertx ? vertx.close() : Future.succeededFuture());
    }
    return closing;
  }

  private void checkOpen() {
    if (closing != null) {
      throw new IllegalStateException("The client is closed");
    }
  }
}
