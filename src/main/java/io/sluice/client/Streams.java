package io.sluice.client;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The streams API ({@code /streams}): transforms the cluster runs next to their input partitions, exactly once into
 * their outputs. Definitions are built with {@link StreamDefinition#builder}; {@code docs/streams.md} describes the
 * steps and expressions. Failures carry the broker's {@code SluiceException} (a definition that does not compile:
 * INVALID_STREAM_DEFINITION naming the step and position).
 */
public interface Streams {

  /** Compiles and stores a stream; the cluster starts its tasks. */
  Uni<StreamDescription> create(StreamDefinition definition);

  /** A new version; tasks switch at a clean point and continue from their positions. */
  Uni<StreamDescription> update(StreamDefinition definition);

  Uni<List<StreamDescription>> list();

  /** The definition, version, state and every task's status. */
  Uni<StreamDescription> describe(String name);

  Uni<StreamDescription> pause(String name);

  Uni<StreamDescription> resume(String name);

  /** Restarts every task (a failed one at once, without waiting for its backoff). */
  Uni<StreamDescription> restart(String name);

  /** Deletes the stream; with {@code deleteTopics} also its dead-letter topic. */
  Uni<Void> delete(String name, boolean deleteTopics);

  /**
   * Runs the definition over {@code records} (each {@code {"key", "value", "headers", "timestamp"}}) and answers
   * what each step emitted ({@code {"records": [...]}}, as {@code POST /streams/preview}); writes nothing.
   */
  Uni<JsonObject> preview(StreamDefinition definition, List<JsonObject> records);

  /**
   * Interactive query of a stream's store: one key's {@code {"key", "value"}}, or for a windowed store {@code {"key",
   * "windows": [{"start", "end", "value"}]}} with window starts in [{@code from}, {@code to}]. {@code key} as the
   * stream's key format writes it (string: the text; json: JSON text; bytes: base64). Any broker answers; a key the
   * store does not hold fails with NOT_FOUND.
   */
  Uni<JsonObject> queryKey(String name, String store, String key, long from, long to);

  /**
   * Interactive query: up to {@code limit} keys of a store in key-byte order, with a {@code prefix}, or from
   * {@code fromKey} (inclusive) to {@code toKey} (exclusive); null leaves a bound out. Answers {@code {"entries":
   * [...]}}.
   */
  Uni<JsonObject> scanStore(String name, String store, String fromKey, String toKey, String prefix, int limit);

  /**
   * The running definition's topology, as {@code GET /streams/{name}/topology} answers it: Kafka's
   * {@code TopologyDescription} in JSON ({@code {"name", "version", "subtopologies": [{"id", "nodes": [...],
   * "figures"}], "stores", "internal_topics"}}) with each source's live figures. A stream that does not exist fails
   * with NOT_FOUND.
   */
  Uni<JsonObject> topology(String name);

  /** The topology in Kafka's text form ({@code TopologyDescription.toString()}: "Topologies: Sub-topology: 0 ..."). */
  Uni<String> topologyText(String name);
}
