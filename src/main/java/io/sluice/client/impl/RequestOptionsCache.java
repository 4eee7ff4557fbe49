package io.sluice.client.impl;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The client's {@link RequestOptions}, one per kind of request, kept for its next requests of that kind: a producer's
 * {@code POST /batches} and a reader's {@code POST /fetch} are the same options every time, and building them (the
 * options, their header map and its entries) was a few hundred bytes and a dozen calls more per request, paid twice
 * per record by a one-at-a-time producer and its consumer (docs/benchmarks.md, issue 16, twenty-fourth session).
 * Vert.x only reads a request's options (it copies their headers into the request), so one instance serves every
 * request of its kind. At most {@link #MAX_KINDS} are kept, the least recently used going first: requests whose path
 * names an offset or a consumer instance make new kinds without end. Used on the client's context only.
 */
final class RequestOptionsCache {
  static final int MAX_KINDS = 64;

  /** Builds the options of a kind not kept. */
  interface Builder {
    RequestOptions build(HttpMethod method, URI broker, String pathAndQuery, String contentType, String accept);
  }

  private record Kind(HttpMethod method, URI broker, String pathAndQuery, String contentType, String accept) {
  }

  private final Builder builder;
  private final Map<Kind, RequestOptions> kept = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Kind, RequestOptions> eldest) {
      return size() > MAX_KINDS;
    }
  };
  private long built;

  RequestOptionsCache(Builder builder) {
    this.builder = builder;
  }

  RequestOptions get(HttpMethod method, URI broker, String pathAndQuery, String contentType, String accept) {
    Kind kind = new Kind(method, broker, pathAndQuery, contentType, accept);
    RequestOptions options = kept.get(kind);
    if (options == null) {
      options = builder.build(method, broker, pathAndQuery, contentType, accept);
      built++;
      kept.put(kind, options);
    }
    return options;
  }

  /** Kinds kept now; for tests. */
  int size() {
    return kept.size();
  }

  /** Options built so far (each kind not kept when asked for); for tests. */
  long built() {
    return built;
  }
}
