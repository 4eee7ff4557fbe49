package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import org.junit.jupiter.api.Test;

class RequestOptionsCacheTest {
  private final URI broker = URI.create("http://127.0.0.1:1");
  private final RequestOptionsCache cache = new RequestOptionsCache(
      (method, url, path, contentType, accept) -> new RequestOptions().setMethod(method).setURI(path));

  @Test
  void aKindIsBuiltOnceAndEveryPartOfItMakesAnotherKind() {
    RequestOptions fetch = cache.get(HttpMethod.POST, broker, "/fetch", "application/json", "a/b");
    assertThat(cache.get(HttpMethod.POST, broker, "/fetch", "application/json", "a/b")).isSameAs(fetch);
    assertThat(cache.get(HttpMethod.GET, broker, "/fetch", "application/json", "a/b")).isNotSameAs(fetch);
    assertThat(cache.get(HttpMethod.POST, URI.create("http://127.0.0.1:2"), "/fetch", "application/json", "a/b"))
        .isNotSameAs(fetch);
    assertThat(cache.get(HttpMethod.POST, broker, "/fetch?x=1", "application/json", "a/b")).isNotSameAs(fetch);
    assertThat(cache.get(HttpMethod.POST, broker, "/fetch", null, "a/b")).isNotSameAs(fetch);
    assertThat(cache.get(HttpMethod.POST, broker, "/fetch", "application/json", null)).isNotSameAs(fetch);
    assertThat(cache.built()).isEqualTo(6);
  }

  @Test
  void keepsAtMostItsBoundOfKindsDroppingTheLeastRecentlyUsed() {
    RequestOptions hot = cache.get(HttpMethod.POST, broker, "/batches?acks=1", null, null);
    for (int i = 0; i < 10 * RequestOptionsCache.MAX_KINDS; i++) {
      cache.get(HttpMethod.GET, broker, "/topics/t/partitions/0/offsets?timestamp=" + i, null, null);
      assertThat(cache.get(HttpMethod.POST, broker, "/batches?acks=1", null, null)).isSameAs(hot);
    }
    assertThat(cache.size()).isEqualTo(RequestOptionsCache.MAX_KINDS);
    RequestOptions first = cache.get(HttpMethod.GET, broker, "/topics/t/partitions/0/offsets?timestamp=0", null,
        null);
    assertThat(first.getURI()).endsWith("timestamp=0");
    assertThat(cache.built()).isEqualTo(1 + 10L * RequestOptionsCache.MAX_KINDS + 1);
  }
}
