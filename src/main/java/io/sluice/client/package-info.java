/**
 * Sluice's Java client: a {@link io.sluice.client.SluiceClient} made from bootstrap broker URLs gives a
 * {@link io.sluice.client.Producer}, an {@link io.sluice.client.Admin} and {@link io.sluice.client.PartitionReader}s,
 * all asynchronous with Mutiny's {@code Uni} and {@code Multi}.
 *
 * <p>The client talks to brokers over their HTTP API only. It depends on Vert.x's HTTP client, Mutiny, and Sluice's
 * shared {@code io.sluice.record} (batch codec, partitioner) and {@code io.sluice.errors} (error codes) packages;
 * never on broker internals ({@code ClientLayeringTest} keeps it so). Implementation classes live in
 * {@code io.sluice.client.impl} and are not part of the API.
 */
package io.sluice.client;
