package io.sluice.client;

import io.smallrye.mutiny.Uni;
import io.sluice.errors.SluiceException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * A member of a share group (KIP-932, Kafka's {@code KafkaShareConsumer}): members read the same partitions
 * cooperatively, each record held by one member at a time under a lock, and acknowledge records one by one.
 *
 * <p>Acknowledgement: {@link #acknowledge(ShareConsumerRecord, AcknowledgeType)} records one; acknowledgements go to
 * the broker with the next {@link #poll}, {@link #commitSync}, {@link #commitAsync} or {@link #close}. When none of a
 * poll's records was acknowledged explicitly, they are all accepted implicitly at the next of those calls; when some
 * were, every record of that poll must be before the next poll (else it fails with IllegalStateException), as Kafka's
 * explicit mode requires. An ACCEPT the broker answered is never delivered again, also after the broker that keeps
 * share groups fails.
 *
 * <p>Threads: as {@link SluiceClient}'s; one application thread should drive a consumer.
 */
public interface ShareConsumer {

  /** Joins the share group subscribed to {@code topics} (leaving it first if subscribed already). */
  Uni<Void> subscribe(Collection<String> topics);

  /**
   * Sends the pending acknowledgements, then hands out up to {@code max.poll.records} records, waiting up to
   * {@code timeout} for one. A member the group no longer knows (its session expired, it was removed) joins again
   * within the same poll, which fetches as the new member: the records it held went back to the group (its pending
   * acknowledgements are dropped with them). A change of the keeping broker keeps the member and its records.
   * The member also joins again when a heartbeat finds it unknown.
   */
  Uni<java.util.List<ShareConsumerRecord>> poll(Duration timeout);

  /** Accepts {@code record} (of the last poll). */
  default void acknowledge(ShareConsumerRecord record) {
    acknowledge(record, AcknowledgeType.ACCEPT);
  }

  /** Acknowledges {@code record} of the last poll as {@code type}; IllegalStateException for any other record. */
  void acknowledge(ShareConsumerRecord record, AcknowledgeType type);

  /** Sends the pending acknowledgements now; emits each partition's outcome (empty: every one applied). */
  Uni<Map<TopicPartition, Optional<SluiceException>>> commitSync();

  /** Sends the pending acknowledgements without waiting; a failure is logged. */
  void commitAsync();

  /** Sends the pending acknowledgements and leaves the group, its held records then going to the other members. */
  Uni<Void> close();
}
