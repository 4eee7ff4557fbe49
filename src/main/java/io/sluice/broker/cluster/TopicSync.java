package io.sluice.broker.cluster;

import io.sluice.broker.TopicPropagation;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.broker.rpc.Contexts;
import io.sluice.broker.rpc.Forwarding;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The cluster's {@link TopicPropagation}: asks every other live broker, over {@link BrokerRpc}, to answer once its
 * own snapshot shows the change ({@link TopicSyncServer} there), and completes when all have answered.
 *
 * <p>Bounded by {@code metadata.propagation.timeout.ms}: a broker that has not answered by then fails the wait with
 * REQUEST_TIMED_OUT naming it (the change is in ZooKeeper all the same, and reaches that broker when it catches up).
 * A broker that dies meanwhile is not waited for ({@link #onSnapshot}): it serves nothing, and a broker that starts
 * builds its snapshot from ZooKeeper before it serves. A broker whose handler is not visible here yet (event-bus
 * subscriptions are znodes followed by their own cache; re-created after a new session) is asked again every
 * {@value #RETRY_MS} ms within the bound. Thread-safe.
 */
public final class TopicSync implements TopicPropagation {
  private static final long RETRY_MS = 100;

  private final Vertx vertx;
  private final BrokerRpc rpc;
  private final int brokerId;
  private final Supplier<MetadataSnapshot> snapshot;
  private final long timeoutMs;
  private final Set<Wait> waits = ConcurrentHashMap.newKeySet();

  /**
   * @param snapshot this broker's current metadata; {@link #onSnapshot} must be called with each new one
   * @param timeoutMs how long a change may take to reach every live broker
   */
  public TopicSync(Vertx vertx, int brokerId, Supplier<MetadataSnapshot> snapshot, long timeoutMs) {
    this.vertx = vertx;
    this.rpc = BrokerRpc.on(vertx);
    this.brokerId = brokerId;
    this.snapshot = snapshot;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<Void> shown(TopicState topic) {
    return everywhere("Topic '" + topic.name() + "' was written to ZooKeeper, but",
        "did not show it with its " + topic.partitionCount() + " partition(s)",
        peer -> peer.awaitShown(topic.name(), topic.topicId(), topic.partitionCount(), timeoutMs));
  }

  @Override
  public Future<Void> gone(TopicState topic) {
    return everywhere("Topic '" + topic.name() + "' was deleted in ZooKeeper, but", "did not drop it",
        peer -> peer.awaitGone(topic.name(), topic.topicId(), topic.partitionCount(), timeoutMs));
  }

  /** Stops waiting for brokers {@code s} shows dead. Call with every new snapshot (any thread). */
  public void onSnapshot(MetadataSnapshot s) {
    waits.forEach(w -> w.retainLive(s.liveBrokerIds()));
  }

  private Future<Void> everywhere(String change, String lag, Function<TopicSyncServer.Peer, Future<Void>> call) {
    Set<Integer> peers = new TreeSet<>(snapshot.get().liveBrokerIds());
    peers.remove(brokerId);
    if (peers.isEmpty()) {
      return Future.succeededFuture();
    }
    Wait wait = new Wait(peers);
    waits.add(wait);
    long timer = vertx.setTimer(timeoutMs, id -> wait.fail(change, lag));
    wait.promise.future().onComplete(ar -> {
      waits.remove(wait);
      vertx.cancelTimer(timer);
    });
    peers.forEach(peer -> ask(peer, call, wait));
    wait.retainLive(snapshot.get().liveBrokerIds()); // one may have died before the wait was registered
    return Contexts.onCaller(wait.promise.future());
  }

  private void ask(int peer, Function<TopicSyncServer.Peer, Future<Void>> call, Wait wait) {
    if (wait.promise.future().isComplete()) {
      return;
    }
    rpc.call(ClusterAddresses.topicSync(peer), TopicSyncServer.Peer.class, timeoutMs, call).onComplete(ar -> {
      if (ar.succeeded()) {
        wait.answered(peer);
      } else if (Forwarding.notDelivered(ar.cause())) {
        vertx.setTimer(RETRY_MS, id -> ask(peer, call, wait));
      }
      // Any other failure (the peer's own bound, a broker shutting down) leaves it to the bound or to its death.
    });
  }

  /** The brokers one change still waits for. */
  private final class Wait {
    private final Set<Integer> pending;
    private final Promise<Void> promise = Promise.promise();

    Wait(Set<Integer> peers) {
      this.pending = new TreeSet<>(peers);
    }

    void answered(int peer) {
      boolean done;
      synchronized (this) {
        done = pending.remove(peer) && pending.isEmpty();
      }
      if (done) {
        promise.tryComplete();
      }
    }

    void retainLive(Set<Integer> live) {
      boolean done;
      synchronized (this) {
        done = pending.retainAll(live) && pending.isEmpty();
      }
      if (done) {
        promise.tryComplete();
      }
    }

    void fail(String change, String lag) {
      Set<Integer> lagging;
      synchronized (this) {
        lagging = new TreeSet<>(pending);
      }
      promise.tryFail(new SluiceException(ErrorCode.REQUEST_TIMED_OUT, change + " broker(s) " + lagging + " " + lag
          + " within " + timeoutMs + " ms (" + BrokerConfig.METADATA_PROPAGATION_TIMEOUT_MS + "); they follow once they catch up with ZooKeeper"));
    }
  }
}
