package io.sluice.api;

import java.io.Serializable;

/**
 * One partition's part of a consumer instance's batch poll ({@link ConsumerService#pollBatches}): the log's stored
 * batches as the fetch returned them (whole v2 batches, not decoded) and the position the poll read from. The first
 * batch may start before {@code fromOffset}, and control batches are not removed: whoever decodes the batches drops
 * the records before {@code fromOffset} and the control batches, as a partition reader does. After the poll the
 * instance's position of the partition is {@code fetched.nextOffset()}.
 */
public record PolledBatches(long fromOffset, FetchResult fetched) implements Serializable {

  public TopicPartition tp() {
    return fetched.tp();
  }

  /** The same with the bytes in memory: reads the file for a file region, so call it off the event loop. */
  public PolledBatches inMemory() {
    return fetched.batches().inMemory() ? this : new PolledBatches(fromOffset, fetched.inMemory());
  }
}
