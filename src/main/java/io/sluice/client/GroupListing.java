package io.sluice.client;

/** A consumer group as {@link Admin#listGroups()} names it: its id and state (Empty, PreparingRebalance, ...). */
public record GroupListing(String groupId, String state) {
}
