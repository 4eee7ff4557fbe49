package io.sluice.client;

/** How a {@link ShareConsumer} acknowledges a record it was handed (Kafka's {@code AcknowledgeType}). */
public enum AcknowledgeType {
  /** Processed: never delivered again. */
  ACCEPT,
  /** Not processed: delivered again (to any member) with its delivery count raised, until the delivery limit. */
  RELEASE,
  /** Unprocessable: never delivered again (archived). */
  REJECT
}
