package io.sluice.api;

import java.util.function.BooleanSupplier;

/**
 * What the broker gives its listeners: the contract's services, built once by the broker for all listeners (so two
 * listeners share one group coordinator), each already behind the caller policy.
 *
 * @param broker topics, partitions, produce and fetch
 * @param consumers the REST v2 consumer instances (members of server-assigned groups of {@code groups})
 * @param groups group coordination for any protocol (its coordinator runs as a broker service whether or not a
 *     listener exists)
 * @param ready whether the broker is ready to serve (a listener's readiness probe)
 * @param extensions what broker services add to listeners (routes, hooks); each listener takes those of the kinds it
 *     serves, e.g. the HTTP listener its {@code HttpExtension}s, and ignores the rest
 */
public record Services(BrokerService broker, ConsumerService consumers, GroupService groups, BooleanSupplier ready,
    java.util.List<Object> extensions) {
}
