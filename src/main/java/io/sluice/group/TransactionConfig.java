package io.sluice.group;

/**
 * The transaction coordinator's broker settings, with Kafka's names.
 *
 * @param maxTimeoutMs {@code transaction.max.timeout.ms}: the largest transaction timeout a producer may ask for
 * @param abortTimedOutIntervalMs {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}
 * @param idExpirationMs {@code transactional.id.expiration.ms}: an id with no transaction this long is forgotten
 * @param removeExpiredIntervalMs {@code transaction.remove.expired.transaction.cleanup.interval.ms}
 * @param maxPartitions {@code transaction.max.partitions} (Sluice's own): partitions and groups one transaction names
 */
public record TransactionConfig(long maxTimeoutMs, long abortTimedOutIntervalMs, long idExpirationMs,
    long removeExpiredIntervalMs, int maxPartitions) {
}
