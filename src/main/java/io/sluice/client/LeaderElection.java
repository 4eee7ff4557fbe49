package io.sluice.client;

/**
 * One partition's outcome of {@link Admin#electLeaders}: its leader after the election (-1: none), and 0 or the
 * error's code when no election was held (84 ELECTION_NOT_NEEDED, 80 PREFERRED_LEADER_NOT_AVAILABLE, ...).
 */
public record LeaderElection(TopicPartition partition, int leader, int errorCode, String message) {
  /** Kafka's election types: PREFERRED, or UNCLEAN (a partition without leader only; may lose records). */
  public enum Type { PREFERRED, UNCLEAN }
}
