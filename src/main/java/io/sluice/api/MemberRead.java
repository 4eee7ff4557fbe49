package io.sluice.api;

import java.io.Serializable;

/**
 * What a consumer instance's poll read and the membership it read under, taken together on the instance right after
 * the poll ({@link ConsumerService#pollAsMember}): a records frame or framed answer names both, and a coordinator on
 * another broker answers them in one round trip instead of a poll and a membership call.
 *
 * @param read the records or batches polled
 * @param membership the instance's member id, generation and partitions right after the poll
 */
public record MemberRead<T>(T read, InstanceMembership membership) implements Serializable {
}
