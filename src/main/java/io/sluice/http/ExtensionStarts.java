package io.sluice.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The starts of a listener's {@link HttpExtension}s. The listener serves (and the broker reports ready) without
 * waiting for them: a slow one, such as the connect worker's plugin scan, would otherwise hold every client back
 * for seconds. {@code GET /health} and {@code GET /ready} list each named extension as STARTING, UP or FAILED, so
 * readiness says what is up; an extension's own routes answer 503 until it is.
 */
final class ExtensionStarts {
  static final ExtensionStarts NONE = new ExtensionStarts();

  private final Map<String, Future<Void>> named = new ConcurrentHashMap<>();

  /** Records an extension's start (only named extensions are listed). */
  void started(HttpExtension extension, Future<Void> start) {
    String name = extension.name();
    if (name != null) {
      named.put(name, start);
    }
  }

  /** {@code {"connect": "STARTING"}}, one entry per named extension. Any thread. */
  JsonObject states() {
    JsonObject out = new JsonObject();
    named.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.put(e.getKey(),
        !e.getValue().isComplete() ? "STARTING" : e.getValue().succeeded() ? "UP" : "FAILED"));
    return out;
  }
}
