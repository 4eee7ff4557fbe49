package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The binary produce routes read a body into one buffer of its Content-Length ({@link SizedBody}), where Vert.x Web's
 * body handler grew it from 64 KiB by doubling; a body without a length (chunked) is still read whole.
 */
class SizedBodyTest extends HttpApiTestBase {
  /** Over the 64 KiB a body handler's buffer started at: 3,000 records of 100 bytes, about 330 KB. */
  private static Buffer largeSection() {
    String[] values = new String[3_000];
    java.util.Arrays.fill(values, "v".repeat(100));
    return PartitionBatchesEndpointTest.section("t", 0, batch(0, values));
  }

  @Test
  void aBodyWithALengthIsReadIntoOneBufferOfExactlyThatLength() {
    createTopic("t", 1);
    Buffer body = largeSection();
    broker.handedOver.clear();

    HttpResponse<Buffer> response = await(client.post(PartitionBatchesEndpoint.PATH)
        .putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES).sendBuffer(body));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(broker.handedOver).hasSize(1);
    ByteBuffer handed = broker.handedOver.get(0);
    assertThat(handed.hasArray()).isTrue();
    // the section's batches are a slice of the body's buffer, which holds the body and nothing more
    assertThat(handed.array().length).isEqualTo(body.length());
  }

  @Test
  void aChunkedBodyIsReadWhole() {
    createTopic("t", 1);
    Buffer body = largeSection();
    HttpClient http = vertx.createHttpClient();
    try {
      HttpClientRequest request = await(http.request(new RequestOptions().setMethod(HttpMethod.POST)
          .setHost("127.0.0.1").setPort(verticle.actualPort()).setURI(PartitionBatchesEndpoint.PATH)));
      request.setChunked(true).putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES);
      for (int from = 0; from < body.length(); from += 40_000) {
        request.write(body.slice(from, Math.min(body.length(), from + 40_000)));
      }
      Buffer answer = await(request.end().compose(v -> request.response()).compose(r -> {
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
      }));

      JsonObject entry = answer.toJsonObject().getJsonArray("partitions").getJsonObject(0);
      assertThat(entry.getJsonArray("offsets").getJsonObject(0).getInteger("record_count")).isEqualTo(3_000);
    } finally {
      await(http.close());
    }
  }
}
