package io.sluice.api;

import java.io.Serializable;
/**
 * A committed position: {@code offset} is the next offset the group will read (Kafka's convention), with the
 * client's metadata string and the coordinator's time of the commit.
 */
public record CommittedOffset(long offset, String metadata, long commitTimestampMs) implements Serializable {
}
