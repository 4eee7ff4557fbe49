package io.sluice.api;

import java.io.Serializable;

/**
 * A group's progress on one partition it committed to or owns.
 *
 * @param committed the group's commit, or null without one
 * @param logEndOffset the partition's end, or null when it could not be read
 */
public record PartitionLag(TopicPartition partition, CommittedOffset committed, Long logEndOffset)
    implements Serializable {

  /** Records between the commit and the log end; null without either. */
  public Long lag() {
    return committed == null || logEndOffset == null ? null : Math.max(0, logEndOffset - committed.offset());
  }
}
