package io.sluice.client.impl;

import io.smallrye.mutiny.Uni;
import io.sluice.client.StreamDefinition;
import io.sluice.client.StreamDescription;
import io.sluice.client.Streams;
import io.vertx.core.Context;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** {@link Streams} over {@code /streams}, each call sent to any reachable broker (every broker serves it). */
final class StreamsImpl implements Streams {
  private final Context context;
  private final MetadataCache metadata;

  StreamsImpl(ClientImpl client) {
    this.context = client.context();
    this.metadata = client.metadata();
  }

  private Uni<StreamDescription> call(HttpMethod method, String path, JsonObject body) {
    return Unis.onContext(context, () -> metadata.anyBroker(method, path, body)
        .map(r -> StreamDescription.fromJson(r.json())));
  }

  private static String path(String name) {
    return "/streams/" + MetadataCache.encode(name);
  }

  @Override
  public Uni<StreamDescription> create(StreamDefinition definition) {
    return call(HttpMethod.POST, "/streams", definition.toJson());
  }

  @Override
  public Uni<StreamDescription> update(StreamDefinition definition) {
    return call(HttpMethod.PUT, path(definition.name()), definition.toJson());
  }

  @Override
  public Uni<List<StreamDescription>> list() {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/streams", null).map(r -> {
      List<StreamDescription> out = new ArrayList<>();
      r.body().toJsonArray().forEach(o -> out.add(StreamDescription.fromJson((JsonObject) o)));
      return out;
    }));
  }

  @Override
  public Uni<StreamDescription> describe(String name) {
    return call(HttpMethod.GET, path(name), null);
  }

  @Override
  public Uni<StreamDescription> pause(String name) {
    return call(HttpMethod.POST, path(name) + "/pause", null);
  }

  @Override
  public Uni<StreamDescription> resume(String name) {
    return call(HttpMethod.POST, path(name) + "/resume", null);
  }

  @Override
  public Uni<StreamDescription> restart(String name) {
    return call(HttpMethod.POST, path(name) + "/restart", null);
  }

  @Override
  public Uni<Void> delete(String name, boolean deleteTopics) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.DELETE, path(name)
        + (deleteTopics ? "?delete_topics=true" : ""), null).mapEmpty());
  }

  @Override
  public Uni<JsonObject> preview(StreamDefinition definition, List<JsonObject> records) {
    JsonObject body = new JsonObject().put("definition", definition.toJson())
        .put("records", new JsonArray(new ArrayList<>(records)));
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, "/streams/preview", body)
        .map(r -> r.json()));
  }

  @Override
  public Uni<JsonObject> queryKey(String name, String store, String key, long from, long to) {
    String path = path(name) + "/stores/" + MetadataCache.encode(store) + "/keys/" + MetadataCache.encode(key)
        + "?from=" + from + "&to=" + to;
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, path, null).map(r -> r.json()));
  }

  @Override
  public Uni<JsonObject> scanStore(String name, String store, String fromKey, String toKey, String prefix,
      int limit) {
    StringBuilder path = new StringBuilder(path(name)).append("/stores/").append(MetadataCache.encode(store))
        .append("/keys?limit=").append(limit);
    if (fromKey != null) {
      path.append("&from_key=").append(MetadataCache.encode(fromKey));
    }
    if (toKey != null) {
      path.append("&to_key=").append(MetadataCache.encode(toKey));
    }
    if (prefix != null) {
      path.append("&prefix=").append(MetadataCache.encode(prefix));
    }
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, path.toString(), null)
        .map(r -> r.json()));
  }

  @Override
  public Uni<JsonObject> topology(String name) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, path(name) + "/topology", null)
        .map(r -> r.json()));
  }

  @Override
  public Uni<String> topologyText(String name) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, path(name) + "/topology?format=text",
        null, "text/plain", null).map(r -> r.body().toString(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
