package io.sluice.api;

/** Kafka's ElectLeaders election types. */
public enum ElectionType {
  /** Leadership to the partition's first replica (its preferred leader), when it is alive and in sync. */
  PREFERRED,
  /**
   * For a partition without a leader only: a live replica outside the ISR leads, and records acknowledged to the
   * in-sync replicas it lacks are lost.
   */
  UNCLEAN
}
