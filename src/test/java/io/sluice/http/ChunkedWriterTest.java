package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chunked body writer against a response whose write queue fills, drains, and drains again after the end. */
class ChunkedWriterTest {
  /** A response as Vert.x's behaves for the calls the writer makes: any call on it after end() fails. */
  private static final class FakeResponse {
    final List<String> written = new ArrayList<>();
    Handler<Void> drain;
    boolean full = true;
    boolean ended;

    HttpServerResponse proxy() {
      return (HttpServerResponse) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {HttpServerResponse.class}, (p, m, args) -> switch (m.getName()) {
            case "closed" -> false;
            case "ended" -> ended;
            case "setChunked" -> p;
            case "writeQueueFull" -> {
              if (ended) {
                throw new IllegalStateException("Response has already been written");
              }
              yield full;
            }
            case "drainHandler" -> {
              drain = (Handler<Void>) args[0];
              yield p;
            }
            case "write" -> {
              written.add(((Buffer) args[0]).toString());
              yield Future.succeededFuture();
            }
            case "end" -> {
              ended = true;
              yield Future.succeededFuture();
            }
            default -> throw new UnsupportedOperationException(m.getName());
          });
    }
  }

  /** A drain handler left set fired again once the ended response's queue drained, and wrote on: an exception. */
  @Test
  void aDrainAfterTheEndWritesNothingMore() {
    FakeResponse fake = new FakeResponse();
    HttpServerResponse response = fake.proxy();
    Future<Void> done = ChunkedWriter.write(response, List.of(Buffer.buffer("a"), Buffer.buffer("b")));
    assertThat(fake.written).isEmpty();
    Handler<Void> drain = fake.drain;
    fake.full = false;
    drain.handle(null);
    assertThat(fake.written).containsExactly("a", "b");
    assertThat(fake.ended).isTrue();
    assertThat(done.succeeded()).isTrue();
    assertThat(fake.drain).as("the drain handler is cleared once it ran").isNull();
    drain.handle(null); // as Vert.x calls the last handler set when the ended response's bytes flush
    assertThat(fake.written).containsExactly("a", "b");
  }
}
