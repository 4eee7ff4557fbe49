package io.sluice.client.impl;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.sluice.client.CloseOptions;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.GroupMetadata;
import io.sluice.client.OffsetCommit;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link GroupConsumer} over the REST v2 consumer instance API ({@link ConsumerInstanceApi}): the public calls, each
 * moved onto the client's context and handed to the part that owns what it changes.
 * <ul>
 *   <li>{@link PollLoop}: the stream's polls (two ahead), seeks, and the reposition after a failover;
 *   <li>{@link HandOut}: the per-partition state the application's thread shares (assignment, seek epochs, what was
 *       handed out, pauses), and the check at emission of each record;
 *   <li>{@link GroupCommits}: commits, explicit and automatic, in call order;
 *   <li>{@link GroupMembership}: the instance, its member id and generation, rejoin, leave after the poll timeout,
 *       and the rebalance listener's calls;
 *   <li>{@link MemberLiveness}: heartbeats and max.poll.interval.ms, fed by {@link Liveness}.
 * </ul>
 * Polls, seeks, rejoins and the leave share one {@link SerialChain}: each moves the broker's positions or reads the
 * assignment, and a later one must not pass an earlier one.
 */
final class GroupConsumerImpl implements GroupConsumer {
  private static final Logger LOG = Logger.getLogger(GroupConsumerImpl.class.getName());

  private final Context context;
  private final ConsumerOptions options;
  private final ConsumerInstanceApi api;
  private final AtomicBoolean subscribed = new AtomicBoolean();
  private final HandOut handOut = new HandOut();
  private final MemberLiveness liveness;
  private final GroupCommits commits;
  private final GroupMembership membership;
  private final PollLoop polls;
  private final SerialChain serial = new SerialChain();
  // Context-only state.
  private Future<Void> closing;

  GroupConsumerImpl(ClientImpl client, ConsumerOptions options) {
    Vertx vertx = client.vertx();
    this.context = client.context();
    this.options = options;
    this.api = new ConsumerInstanceApi(vertx, client.transport(), client.metadata(), client.requestTimeoutMs());
    this.liveness = new MemberLiveness(vertx, new Liveness(), options.heartbeatIntervalMs(),
        options.maxPollIntervalMs(), System::nanoTime);
    this.commits = new GroupCommits(api, options, handOut, this::currentMembership);
    this.membership = new GroupMembership(api, options, handOut, commits, serial, liveness);
    this.polls = new PollLoop(vertx, options, api, handOut, membership, commits, serial);
  }

  @Override
  public Multi<ConsumerRecord> records() {
    return Multi.createFrom().deferred(() -> {
      if (!subscribed.compareAndSet(false, true)) {
        return Multi.createFrom().failure(new IllegalStateException("records() of a group consumer can be "
            + "subscribed only once"));
      }
      return Multi.createBy().repeating()
          .uni(() -> Unis.onContext(context, polls::next))
          .until(PollLoop.Batch::end)
          .onItem().transformToIterable(PollLoop.Batch::runs)
          // Each run's records straight from the decoded list, the hand-out deciding at emission with the run at hand.
          .onItem().transformToMultiAndConcatenate(run -> Multi.createFrom().iterable(run.records)
              .select().where(r -> handOut.handOut(run, r)))
          // A stream that ended will ask for no record again: no heartbeat holds its partitions past its session.
          .onTermination().invoke(() -> context.runOnContext(v -> liveness.stop()));
    });
  }

  @Override
  public Uni<Void> commit() {
    return Unis.onContext(context, () -> membership.leftAfterPollTimeout() ? membership.refusedAfterPollTimeout()
        : commits.commitDelivered(true));
  }

  @Override
  public Uni<Void> commit(Map<TopicPartition, Long> lastProcessed) {
    Map<TopicPartition, OffsetCommit> offsets = new HashMap<>();
    lastProcessed.forEach((tp, last) -> offsets.put(tp, OffsetCommit.of(last)));
    return commitWithMetadata(offsets);
  }

  @Override
  public Uni<Void> commitWithMetadata(Map<TopicPartition, OffsetCommit> offsets) {
    Map<TopicPartition, OffsetCommit> copy = Map.copyOf(offsets);
    return Unis.onContext(context, () -> membership.leftAfterPollTimeout() ? membership.refusedAfterPollTimeout()
        : !membership.asked() || handOut.closed()
        // It was answered done and dropped: the instance that commits is made by the first poll.
        ? Future.failedFuture(new IllegalStateException("The consumer has not joined its group"
            + (handOut.closed() ? ": it is closed" : ": subscribe to records() first")))
        : commits.commitOffsets(() -> copy, membership.current(), true));
  }

  /** For the commits, made before the membership that knows it. */
  private ConsumerInstanceApi.Membership currentMembership() {
    return membership.current();
  }

  @Override
  public GroupMetadata groupMetadata() {
    ConsumerInstanceApi.Membership m = membership.current();
    return m == null || m.memberId() == null ? GroupMetadata.of(options.group())
        : new GroupMetadata(options.group(), m.memberId(), m.generationId());
  }

  @Override
  public Uni<Map<TopicPartition, OffsetCommit>> committed(Set<TopicPartition> partitions) {
    Set<TopicPartition> copy = Set.copyOf(partitions);
    // The instance, made now if records() has not made it yet (reading commits needs no membership).
    return Unis.onContext(context, () -> (handOut.closed()
        ? Future.<Void>failedFuture(new IllegalStateException("The consumer is closed"))
        : membership.ensureCreated()).compose(v -> api.committed(copy)));
  }

  @Override
  public Uni<Void> seek(TopicPartition partition, StartPosition position) {
    return Unis.onContext(context, () -> polls.seek(partition, position)
        .onSuccess(v -> handOut.sought(partition)));
  }

  @Override
  public void pause(Set<TopicPartition> partitions) {
    handOut.pause(partitions);
  }

  @Override
  public Uni<Void> resume(Set<TopicPartition> partitions) {
    Set<TopicPartition> copy = Set.copyOf(partitions);
    return Unis.onContext(context, () -> {
      Future<Void> last = Future.succeededFuture();
      for (TopicPartition tp : copy) {
        Long heldFrom = handOut.resumeFrom(tp);
        if (heldFrom != null) {
          last = polls.seek(tp, StartPosition.offset(heldFrom)).onSuccess(v -> handOut.resumed(tp));
        }
      }
      return last;
    });
  }

  @Override
  public Set<TopicPartition> paused() {
    return handOut.paused();
  }

  @Override
  public Set<TopicPartition> assignment() {
    return handOut.assignment();
  }

  /** See {@link ClientImpl#consumerRequestUrl}; on the client's context. */
  URI requestUrl() {
    return api.requestUrl();
  }

  @Override
  public long pollRequests() {
    return polls.pollRequests();
  }

  @Override
  public Uni<Void> close(CloseOptions closeOptions) {
    return Unis.onContext(context, () -> {
      if (closing == null) {
        handOut.close();
        liveness.stop();
        closing = serial.then(() -> options.enableAutoCommit() ? commits.commitDelivered(false)
            : Future.succeededFuture())
            .transform(ar -> {
              if (ar.failed()) {
                LOG.log(Level.WARNING, "Commit on close failed", ar.cause());
              }
              membership.revokeAll();
              return api.delete(closeOptions.groupMembershipOperation());
            });
      }
      return closing;
    });
  }

  /** What {@link MemberLiveness} keeps alive; on the client's context. */
  private final class Liveness implements MemberLiveness.Member {
    @Override
    public long activity() {
      return polls.streamPolls() + handOut.handedOut();
    }

    @Override
    public long pollRequests() {
      return polls.pollRequests();
    }

    @Override
    public boolean joined() {
      return membership.joined();
    }

    @Override
    public Future<Void> heartbeat() {
      return api.heartbeat();
    }

    @Override
    public void rejoin() {
      membership.rejoin();
    }

    @Override
    public void leave() {
      membership.leaveAfterPollTimeout(polls::forgetPositions);
    }
  }
}
