package io.sluice.api;

import java.io.Serializable;
import java.util.Set;

/**
 * Which transactional ids a listing answers (Kafka's ListTransactions filters, KIP-664 and KIP-994); each empty or
 * non-positive filter lets everything through, and a listing keeps what passes all of them.
 *
 * @param states Kafka's state names (Ongoing, PrepareCommit, ...)
 * @param producerIds producer ids
 * @param minDurationMs only transactions open (Ongoing or ending) for at least this long on the coordinator's clock,
 *     Kafka's {@code DurationFilter}: how an operator finds the long-running (possibly hanging) ones; 0 for any
 */
public record TransactionFilter(Set<String> states, Set<Long> producerIds, long minDurationMs)
    implements Serializable {
  public static final TransactionFilter ALL = new TransactionFilter(Set.of(), Set.of(), 0);

  public TransactionFilter {
    states = Set.copyOf(states);
    producerIds = Set.copyOf(producerIds);
  }

  /** Whether an id in {@code state} with {@code producerId}, its transaction started at {@code startMs}, passes. */
  public boolean accepts(String state, long producerId, long startMs, boolean open, long nowMs) {
    return (states.isEmpty() || states.contains(state)) && (producerIds.isEmpty() || producerIds.contains(producerId))
        && (minDurationMs <= 0 || open && startMs >= 0 && nowMs - startMs >= minDurationMs);
  }
}
