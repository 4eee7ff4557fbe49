package io.sluice.connect;

import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

/** Reading a change topic (JSON without schemas) as {key, value} objects. */
final class CdcRecords {
  private CdcRecords() {
  }

  /** Feeds the topic's records, from the start, to {@code last} until it returns true. */
  static void readUntil(SluiceClient client, String topic, Predicate<JsonObject> last) {
    ConnectTestSupport.await("partition " + topic + "-0 readable", () -> {
      try {
        client.admin().offsets(topic, 0).await().atMost(Duration.ofSeconds(10));
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    });
    ConnectTestSupport.await("topic " + topic, () -> {
      try {
        client.admin().describeTopic(topic).await().atMost(Duration.ofSeconds(10));
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    });
    java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
    var subscription = client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .subscribe().with(r -> {
          if (done.isDone()) {
            return;
          }
          JsonObject record = new JsonObject()
              .put("offset", r.offset())
              .put("headers", new io.vertx.core.json.JsonArray(r.headers().stream().map(h -> h.key()).toList()))
              .put("key", r.key() == null ? null : new JsonObject(new String(r.key(), StandardCharsets.UTF_8)))
              .put("value", r.value() == null ? null : new JsonObject(new String(r.value(), StandardCharsets.UTF_8)));
          try {
            if (last.test(record)) {
              done.complete(null);
            }
          } catch (Throwable t) {
            done.completeExceptionally(t);
          }
        }, done::completeExceptionally);
    try {
      done.get(120, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof AssertionError a ? a : new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError("Reading " + topic + ": " + e, e);
    } finally {
      subscription.cancel();
    }
  }
}
