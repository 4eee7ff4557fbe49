package io.sluice.api;

import java.io.Serializable;

/**
 * A group known to its coordinator (with members, commits or consumer instances).
 *
 * @param state Kafka's names: {@code Empty}, {@code PreparingRebalance}, {@code CompletingRebalance}, {@code Stable}
 * @param protocolType the members' protocol type, {@value GroupService#SERVER_ASSIGNED} for server-assigned groups,
 *     empty without members
 */
public record GroupListing(String groupId, String state, String protocolType) implements Serializable {
}
