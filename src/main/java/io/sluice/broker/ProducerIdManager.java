package io.sluice.broker;

import io.sluice.api.ProducerIdentity;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.metadata.ZkPaths;
import io.vertx.core.Future;
import io.vertx.core.Promise;

/**
 * Hands out idempotent-producer ids unique across the cluster: the broker claims a block of
 * {@value #BLOCK_SIZE} ids at a time from the ZooKeeper counter {@link ZkPaths#PRODUCER_ID_BLOCK} (a versioned
 * write, so brokers never claim overlapping blocks) and serves ids from it until it runs out. Ids of a block
 * not handed out before a restart are skipped, never reused. Every id starts at epoch 0: a new producer gets a
 * new id rather than a bumped epoch.
 *
 * <p>Thread-safe: callers on any event loop; the ZooKeeper write runs on the metadata store's executor, and one
 * claim at a time is in flight.
 */
public final class ProducerIdManager {
  static final long BLOCK_SIZE = 1_000;

  /** Claims the next block of ids and answers its first id; in production a versioned ZooKeeper write. */
  @FunctionalInterface
  public interface BlockClaimer {
    Future<Long> claim(long size);
  }

  private final BlockClaimer claimer;
  private long next;
  private long end;
  private Future<Void> claiming;

  public ProducerIdManager(ZkMetadataStore zk) {
    this(size -> zk.claimRange(ZkPaths.PRODUCER_ID_BLOCK, size));
  }

  ProducerIdManager(BlockClaimer claimer) {
    this.claimer = claimer;
  }

  /** The next unused id. */
  public synchronized Future<ProducerIdentity> allocate() {
    if (next < end) {
      return Future.succeededFuture(new ProducerIdentity(next++, (short) 0));
    }
    Future<Void> inFlight = claiming;
    if (inFlight == null) {
      // The field is set before the claim starts, so a claim that completes at once cannot clear it too early;
      // the local keeps the future for this caller, since a claim completing inline clears the field.
      Promise<Void> claimed = Promise.promise();
      inFlight = claimed.future();
      claiming = inFlight;
      claimer.claim(BLOCK_SIZE).onComplete(ar -> {
        synchronized (this) {
          if (ar.succeeded()) {
            next = ar.result();
            end = ar.result() + BLOCK_SIZE;
          }
          claiming = null;
        }
        claimed.handle(ar.mapEmpty());
      });
    }
    return inFlight.compose(v -> allocate());
  }
}
