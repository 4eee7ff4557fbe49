package io.sluice.client;

import io.smallrye.mutiny.Multi;

/**
 * Reads one partition from a start position without a consumer group.
 *
 * <p>{@link #records()} fetches only while its subscriber has demand: it holds at most two fetches' records
 * ({@link ReaderOptions#fetchMaxBytes()} each: the one being delivered and one fetched ahead, so the broker reads
 * while the client decodes) and asks the broker for more only when the first are delivered, so a slow subscriber
 * slows the reads instead of growing memory. When it is caught up it long-polls
 * ({@link ReaderOptions#fetchMaxWaitMs()}). It follows the partition's leader and retries retriable errors; other
 * errors (for example OFFSET_OUT_OF_RANGE) fail the stream. A fetch's records are decoded as they are delivered,
 * so a corrupt record fails the stream after the records before it.
 */
public interface PartitionReader {

  /** The partition's records from the start position on, indefinitely; each subscription starts afresh. */
  Multi<ConsumerRecord> records();

  /** The offset of the next record this reader will emit, or -1 before the start position was resolved. */
  long position();
}
