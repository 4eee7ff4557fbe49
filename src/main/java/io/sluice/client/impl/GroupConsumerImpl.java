package io.sluice.client.impl;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link GroupConsumer} over the REST v2 consumer instance API ({@link ConsumerInstanceApi}).
 *
 * <p><b>Serial server operations.</b> Polls and seeks move the broker's position of the instance, and a poll that
 * returns after a seek overwrites it; so they run one at a time, chained on {@link #serial}, on the client's
 * context. Each seek (and each resume that moves a position back) bumps the partition's seek epoch at once; a poll
 * snapshots the epochs when it starts, and its records of a partition whose epoch moved since are dropped.
 *
 * <p><b>Hand-out.</b> A poll's records pass {@link #handOut} when they are emitted, which may be on the
 * subscriber's thread (when demand arrives there): it reads only concurrent maps and volatile fields. It drops
 * records of partitions no longer owned, of stale epochs and after close, holds back paused ones (remembering the
 * first), and records the last offset handed out per partition for commits.
 */
final class GroupConsumerImpl implements GroupConsumer {
  private static final Logger LOG = Logger.getLogger(GroupConsumerImpl.class.getName());
  private static final long MAX_BACKOFF_MS = 1_000;
  /** Marks a paused partition of which nothing was held back yet. */
  private static final long NONE_HELD = -1;

  private final Context context;
  private final Vertx vertx;
  private final ConsumerOptions options;
  private final ConsumerInstanceApi api;
  private final AtomicBoolean subscribed = new AtomicBoolean();
  private final AtomicLong pollRequests = new AtomicLong();
  private final Map<TopicPartition, Long> delivered = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Long> pausedAt = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Integer> seekEpochs = new ConcurrentHashMap<>();
  private final Object handoutLock = new Object();
  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile boolean closed;
  // Context-only state.
  private Future<Void> serial = Future.succeededFuture();
  private Future<Void> created;
  private Future<Void> closing;
  private long lastCommitMs;
  private int failures;

  /** One poll's records and the seek epochs they were polled under. */
  private record Batch(List<ConsumerRecord> records, Map<TopicPartition, Integer> epochs, boolean end) {
    List<Polled> polled() {
      return records.stream().map(r -> new Polled(r, epochs)).toList();
    }
  }

  /** A record with the seek epochs of the poll that brought it. */
  private record Polled(ConsumerRecord record, Map<TopicPartition, Integer> epochs) {
  }

  GroupConsumerImpl(ClientImpl client, ConsumerOptions options) {
    this.context = client.context();
    this.vertx = client.vertx();
    this.options = options;
    this.api = new ConsumerInstanceApi(client.transport(), client.metadata());
  }

  @Override
  public Multi<ConsumerRecord> records() {
    return Multi.createFrom().deferred(() -> {
      if (!subscribed.compareAndSet(false, true)) {
        return Multi.createFrom().failure(new IllegalStateException("records() of a group consumer can be "
            + "subscribed only once"));
      }
      return Multi.createBy().repeating()
          .uni(() -> Unis.onContext(context, this::pollOnce))
          .until(Batch::end)
          .onItem().transformToIterable(Batch::polled)
          .select().where(this::handOut)
          .map(Polled::record);
    });
  }

  private Future<Batch> pollOnce() {
    if (closed) {
      return Future.succeededFuture(new Batch(List.of(), Map.of(), true));
    }
    Future<Batch> polled = serial.transform(ar -> ensureCreated())
        .compose(v -> maybeAutoCommit())
        .compose(v -> {
          Map<TopicPartition, Integer> epochs = Map.copyOf(seekEpochs);
          pollRequests.incrementAndGet();
          return api.poll(options.fetchMaxWaitMs(), options.fetchMaxBytes())
              .compose(records -> api.assignment().map(owned -> {
                updateAssignment(owned);
                failures = 0;
                return new Batch(records, epochs, false);
              }));
        })
        .recover(this::retryLater);
    serial = polled.transform(ar -> Future.succeededFuture());
    return polled;
  }

  private Future<Void> ensureCreated() {
    if (created == null || created.failed()) {
      created = api.create(options);
    }
    return created;
  }

  /** A retriable failure becomes an empty poll after a backoff; anything else fails the stream. */
  private Future<Batch> retryLater(Throwable t) {
    if (!ErrorCodes.retriable(t) || closed) {
      return closed ? Future.succeededFuture(new Batch(List.of(), Map.of(), true)) : Future.failedFuture(t);
    }
    failures++;
    Promise<Batch> later = Promise.promise();
    vertx.setTimer(Math.min(MAX_BACKOFF_MS, 50L << Math.min(failures, 10)),
        id -> later.complete(new Batch(List.of(), Map.of(), false)));
    return later.future();
  }

  /** Compares the broker's assignment with the last one and tells the listener what changed. */
  private void updateAssignment(Set<TopicPartition> owned) {
    Set<TopicPartition> old = assignment;
    if (old.equals(owned)) {
      return;
    }
    Set<TopicPartition> revoked = new HashSet<>(old);
    revoked.removeAll(owned);
    Set<TopicPartition> added = new HashSet<>(owned);
    added.removeAll(old);
    assignment = Set.copyOf(owned);
    for (TopicPartition tp : revoked) {
      // A partition that comes back later starts from the group's commit, not from what this member saw.
      delivered.remove(tp);
      committed.remove(tp);
      pausedAt.remove(tp);
    }
    if (!revoked.isEmpty()) {
      callListener(() -> options.rebalanceListener().onPartitionsRevoked(Set.copyOf(revoked)));
    }
    if (!added.isEmpty()) {
      callListener(() -> options.rebalanceListener().onPartitionsAssigned(Set.copyOf(added)));
    }
  }

  private static void callListener(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "Rebalance listener failed", e);
    }
  }

  private Future<Void> maybeAutoCommit() {
    long now = System.currentTimeMillis();
    if (!options.enableAutoCommit() || now - lastCommitMs < options.autoCommitIntervalMs()) {
      return Future.succeededFuture();
    }
    lastCommitMs = now;
    return commitDelivered().recover(t -> {
      LOG.log(Level.FINE, "Auto-commit failed; the next one retries", t);
      return Future.succeededFuture();
    });
  }

  /** Commits the last record handed out of every owned partition that moved since its last commit. */
  private Future<Void> commitDelivered() {
    Map<TopicPartition, Long> due = new HashMap<>();
    for (TopicPartition tp : assignment) {
      Long last = delivered.get(tp);
      Long done = committed.get(tp);
      if (last != null && (done == null || last > done)) {
        due.put(tp, last);
      }
    }
    return commitOffsets(due);
  }

  private Future<Void> commitOffsets(Map<TopicPartition, Long> lastProcessed) {
    if (lastProcessed.isEmpty() || !api.created()) {
      return Future.succeededFuture();
    }
    return api.commit(lastProcessed).onSuccess(v -> committed.putAll(lastProcessed));
  }

  @Override
  public Uni<Void> commit() {
    return Unis.onContext(context, this::commitDelivered);
  }

  @Override
  public Uni<Void> commit(Map<TopicPartition, Long> lastProcessed) {
    Map<TopicPartition, Long> copy = Map.copyOf(lastProcessed);
    return Unis.onContext(context, () -> commitOffsets(copy));
  }

  @Override
  public Uni<Void> seek(TopicPartition partition, StartPosition position) {
    return Unis.onContext(context, () -> {
      seekEpochs.merge(partition, 1, Integer::sum);
      return serialSeek(partition, position).onSuccess(v -> pausedAt.replace(partition, NONE_HELD));
    });
  }

  /** Runs a seek after the operations before it (a poll in flight), before the polls after it. */
  private Future<Void> serialSeek(TopicPartition partition, StartPosition position) {
    Future<Void> seek = serial.transform(ar -> ensureCreated()).compose(v -> api.seek(partition, position));
    serial = seek.transform(ar -> Future.succeededFuture());
    return seek;
  }

  @Override
  public void pause(Set<TopicPartition> partitions) {
    partitions.forEach(tp -> pausedAt.putIfAbsent(tp, NONE_HELD));
  }

  @Override
  public Uni<Void> resume(Set<TopicPartition> partitions) {
    Set<TopicPartition> copy = Set.copyOf(partitions);
    return Unis.onContext(context, () -> {
      Future<Void> last = Future.succeededFuture();
      for (TopicPartition tp : copy) {
        // Nothing held back: the broker's position is the next record to hand out, so just stop holding back.
        if (pausedAt.remove(tp, NONE_HELD) || !pausedAt.containsKey(tp)) {
          continue;
        }
        long heldFrom = pausedAt.get(tp);
        seekEpochs.merge(tp, 1, Integer::sum);
        last = serialSeek(tp, StartPosition.offset(heldFrom)).onSuccess(v -> pausedAt.remove(tp));
      }
      return last;
    });
  }

  @Override
  public Set<TopicPartition> paused() {
    return Set.copyOf(pausedAt.keySet());
  }

  @Override
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  @Override
  public long pollRequests() {
    return pollRequests.get();
  }

  @Override
  public Uni<Void> close() {
    return Unis.onContext(context, () -> {
      if (closing == null) {
        synchronized (handoutLock) {
          closed = true;
        }
        closing = serial.transform(ar -> options.enableAutoCommit() ? commitDelivered() : Future.succeededFuture())
            .transform(ar -> {
              if (ar.failed()) {
                LOG.log(Level.WARNING, "Commit on close failed", ar.cause());
              }
              Set<TopicPartition> owned = assignment;
              if (!owned.isEmpty()) {
                assignment = Set.of();
                callListener(() -> options.rebalanceListener().onPartitionsRevoked(owned));
              }
              return api.delete();
            });
      }
      return closing;
    });
  }

  /**
   * Decides at emission (when there is demand for the record) whether it is handed out; see the class comment.
   * Not in an iterator's hasNext: Mutiny asks that after each item to find the end, before there is demand.
   */
  private boolean handOut(Polled p) {
    ConsumerRecord r = p.record();
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    synchronized (handoutLock) {
      if (closed || !assignment.contains(tp)
          || !seekEpochs.getOrDefault(tp, 0).equals(p.epochs().getOrDefault(tp, 0))) {
        return false;
      }
      if (pausedAt.containsKey(tp)) {
        pausedAt.computeIfPresent(tp, (k, held) -> held == NONE_HELD ? r.offset() : held);
        return false;
      }
      delivered.put(tp, r.offset());
      return true;
    }
  }
}
