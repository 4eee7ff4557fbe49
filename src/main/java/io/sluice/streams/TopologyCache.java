package io.sluice.streams;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The topology description of each stream's running definition, built once per definition version rather than per
 * {@code GET /streams/{name}/topology} (the dashboard asks every 5 s per open page). Keyed by stream name and
 * holding the compiled definition it describes ({@link StreamsService#compile} answers the same instance for a
 * version), so a new version is described afresh; one entry per stream name, as that compile cache. Thread-safe:
 * the route's workers share it.
 */
final class TopologyCache {
  private record Described(StreamDefinition definition, StreamTopology topology, JsonObject json) {
  }

  private final ConcurrentHashMap<String, Described> byName = new ConcurrentHashMap<>();

  private Described described(StreamDefinition d) {
    return byName.compute(d.name(), (name, was) -> was != null && was.definition() == d ? was
        : new Described(d, TopologyDescriber.describe(d), TopologyDescriber.json(d)));
  }

  /** {@code d}'s description. */
  StreamTopology topology(StreamDefinition d) {
    return described(d).topology();
  }

  /** {@code d}'s description as JSON with its internal topics: a copy of its own, the caller adds to it. */
  JsonObject json(StreamDefinition d) {
    return described(d).json().copy();
  }
}
