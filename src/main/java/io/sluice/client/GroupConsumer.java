package io.sluice.client;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.Map;
import java.util.Set;

/**
 * A member of a consumer group, over the broker's Kafka REST v2 consumer instance API: it creates an instance
 * ({@code POST /consumers/{group}}, binary format so bytes round-trip), subscribes, long-polls
 * {@code .../records}, commits with {@code .../offsets}, seeks with {@code .../positions*} and deletes the instance
 * on {@link #close()}. The group's coordination (join, assignment) happens at the broker.
 *
 * <p><b>Liveness</b>, as Kafka's consumer: a poll counts as a heartbeat, and while none goes out (a subscriber
 * without demand, a busy application) the consumer heartbeats every {@link ConsumerOptions#heartbeatIntervalMs()}
 * ({@code POST .../heartbeat}), so the group keeps its partitions with it; a heartbeat answered that the group
 * rebalanced takes the new assignment at once (the rebalance listener is told). Once the application has neither
 * asked for nor taken a record for {@link ConsumerOptions#maxPollIntervalMs()}, the consumer leaves the group (its
 * partitions go to the others) and its next request joins again. A stream that ended (cancelled, failed) stops the
 * heartbeats: the session then runs out, unless {@link #close()} left at once.
 *
 * <p><b>Demand drives fetching.</b> {@link #records()} sends up to two polls ahead while the subscriber takes the
 * previous poll's records (so the broker reads one while the client decodes the other), and another only when the
 * subscriber has asked for more than those: at most three polls' records (each of
 * {@link ConsumerOptions#maxPartitionFetchBytes()} per owned partition, within {@link ConsumerOptions#fetchMaxBytes()})
 * are held by the client. Only records handed to the subscriber are
 * ever committed.
 *
 * <p><b>Commits</b> name the last record processed; the group resumes after it. {@link #commit()} commits the last
 * record handed to the subscriber on each owned partition; with {@link ConsumerOptions#enableAutoCommit()} the
 * consumer does so before a poll once {@link ConsumerOptions#autoCommitIntervalMs()} has passed, and on close. That
 * is at least once: a record handed out but not processed when the application dies is not redelivered only if a
 * commit happened in between. A commit names the member id and generation of the consumer's last poll answer; once
 * the group rebalanced without this consumer (it did not poll within its session timeout, or a poll it has not seen
 * yet took a new assignment) the group refuses it and it fails with {@link CommitFailedException}, committing
 * nothing: a zombie never overwrites the commits of its partitions' new owner. The next poll takes the new assignment.
 *
 * <p><b>Pause</b> is client-side (REST v2 has none): records of a paused partition are not handed out, and the
 * first one held back is remembered; {@link #resume} moves the broker's position back to it, so nothing is lost or
 * reordered. The broker keeps sending a paused partition's records until its position reaches the log end, which
 * costs bandwidth (not memory): pause for short spells. Pause state is dropped when the partition is revoked.
 *
 * <p><b>Threads.</b> Methods may be called from any thread. Seeks and resumes are applied between polls, never
 * while one is in flight (the broker would overwrite the new position with the poll's); records of a partition
 * polled before a seek are dropped. Records are emitted on the client's context.
 */
public interface GroupConsumer {

  /**
   * The group's records of the owned partitions, indefinitely, until {@link #close()} (then the stream completes).
   * Only one subscription: a second fails with {@link IllegalStateException}. Non-retriable errors fail the stream.
   */
  Multi<ConsumerRecord> records();

  /** Commits the last record handed out on each owned partition (nothing to do completes at once). */
  Uni<Void> commit();

  /** Commits the given last processed offsets (the group resumes at offset + 1). */
  Uni<Void> commit(Map<TopicPartition, Long> lastProcessed);

  /**
   * Commits the given last processed offsets with a metadata string each, kept with the commit and read back by
   * {@link #committed}; fails with the broker's OFFSET_METADATA_TOO_LARGE (and commits nothing) when one is over
   * {@code offset.metadata.max.bytes}.
   */
  Uni<Void> commitWithMetadata(Map<TopicPartition, OffsetCommit> commits);

  /**
   * Kafka's {@code groupMetadata()}: what {@link Producer#sendOffsetsToTransaction} takes. It names the member id
   * and generation of the consumer's last poll answer, so the group refuses the offsets (ILLEGAL_GENERATION,
   * UNKNOWN_MEMBER_ID) once it rebalanced without this consumer (KIP-447): a zombie's transaction cannot commit
   * offsets of partitions another member owns now. Before the first poll answer it names the group only.
   */
  GroupMetadata groupMetadata();

  /** The group's commits of these partitions, with their metadata; a partition without a commit is absent. */
  Uni<Map<TopicPartition, OffsetCommit>> committed(Set<TopicPartition> partitions);

  /** Moves an owned partition's position; completes once the broker applied it. Records polled before are dropped. */
  Uni<Void> seek(TopicPartition partition, StartPosition position);

  /** Stops handing out records of these partitions, from the next record on. */
  void pause(Set<TopicPartition> partitions);

  /** Hands out the partitions' records again, from the first one held back; completes once the position is back. */
  Uni<Void> resume(Set<TopicPartition> partitions);

  /** The paused partitions. */
  Set<TopicPartition> paused();

  /** The partitions owned as of the last poll. */
  Set<TopicPartition> assignment();

  /** How many records polls this consumer sent (for monitoring and for checking back-pressure). */
  long pollRequests();

  /**
   * Stops polling, waits for the poll in flight, commits (with auto-commit), tells the listener the whole
   * assignment is revoked, and deletes the instance: a dynamic member leaves the group (the others rebalance
   * without it), a static one ({@link ConsumerOptions#groupInstanceId}) stays until its session timeout, as Kafka's
   * close. Idempotent.
   */
  default Uni<Void> close() {
    return close(CloseOptions.defaults());
  }

  /** {@link #close()} leaving the group or staying in it as {@code options} say (Kafka 4's close options). */
  Uni<Void> close(CloseOptions options);
}
