/**
 * Sluice's HTTP API: Kafka REST v2 paths, media types and JSON shapes (as the Confluent REST Proxy, the Strimzi
 * bridge and Redpanda's HTTP proxy use them), plus a binary batch path and long-poll fetch, over
 * {@link io.sluice.api.BrokerService}.
 *
 * <p>Layout: {@link io.sluice.http.HttpServerVerticle} (the entry point the broker deploys) builds its router in
 * {@code ApiRouter} from one endpoint class per resource ({@code TopicsEndpoint}, {@code PartitionsEndpoint},
 * {@code ProduceEndpoint}, {@code BatchesEndpoint}, {@code FetchEndpoint}, {@code HealthEndpoint},
 * {@code OpenApiEndpoint}). Every failure becomes {@code {"error_code", "message"}} in {@code ErrorResponses},
 * with the status {@link io.sluice.errors.ErrorCode} gives. The contract is {@code openapi/sluice.json} on the
 * class path, served at {@code GET /openapi} and checked against the router by a test.
 *
 * <p>Threads: handlers run on the verticle's event loop and never block; reading fetched file slices and
 * decoding them for the JSON formats runs on the {@code sluice-http-fetch} worker pool.
 */
package io.sluice.http;
