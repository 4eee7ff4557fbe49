package io.sluice.api;

import java.io.Serializable;

/**
 * One partition's outcome of a leader election: its leader after it, and the error when none was held (Kafka's
 * ELECTION_NOT_NEEDED when the wanted leader already leads, PREFERRED_LEADER_NOT_AVAILABLE, ...; 0 when elected).
 */
public record ElectionResult(TopicPartition partition, int leader, int errorCode, String message)
    implements Serializable {
}
