package io.sluice.client;

import java.util.Set;

/**
 * Kafka's {@code ListTransactionsOptions}: which transactional ids {@link Admin#listTransactions(ListTransactionsOptions)}
 * answers; an empty set or 0 lets everything through, and the listing keeps what passes all of them.
 *
 * @param states Kafka's state names (Ongoing, PrepareCommit, ...)
 * @param producerIds producer ids
 * @param durationMs only transactions open for at least this long (KIP-994's filterOnDuration): the hanging ones
 */
public record ListTransactionsOptions(Set<String> states, Set<Long> producerIds, long durationMs) {
  public ListTransactionsOptions {
    states = Set.copyOf(states);
    producerIds = Set.copyOf(producerIds);
  }

  public static ListTransactionsOptions all() {
    return new ListTransactionsOptions(Set.of(), Set.of(), 0);
  }

  public ListTransactionsOptions filterStates(Set<String> s) {
    return new ListTransactionsOptions(s, producerIds, durationMs);
  }

  public ListTransactionsOptions filterProducerIds(Set<Long> ids) {
    return new ListTransactionsOptions(states, ids, durationMs);
  }

  public ListTransactionsOptions filterOnDuration(long ms) {
    return new ListTransactionsOptions(states, producerIds, ms);
  }
}
