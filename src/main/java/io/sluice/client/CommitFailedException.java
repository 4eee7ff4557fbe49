package io.sluice.client;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;

/**
 * Kafka's {@code CommitFailedException}: the group refused a commit because the consumer is no longer the member, or
 * not of the generation, its records were read in (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID): the group rebalanced
 * since, most likely because the consumer went longer than its session timeout without polling, and its partitions
 * may have another owner now. Nothing was committed. The consumer's next poll takes its new assignment; records of
 * partitions it still owns are read again from the group's commits. Not retriable: the same commit would be refused
 * again.
 */
public final class CommitFailedException extends SluiceException {
  public CommitFailedException(ErrorCode errorCode, String message, Throwable cause) {
    super(errorCode, message, cause);
  }
}
