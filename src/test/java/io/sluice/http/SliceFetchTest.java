package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The batch and fetch tests again with the broker double answering fetches as slices of a segment file, so
 * raw batches go out through {@code sendFile} and the JSON formats read the file on the worker pool.
 */
class SliceFetchTest extends BatchesEndpointTest {
  @Override
  boolean sliceMode() {
    return true;
  }

  @Test
  void rawBatchesReachAnHttp2Client() {
    createTopic("t", 1);
    produce("/topics/t/partitions/0", JSON_V2, new io.vertx.core.json.JsonArray().add(
        new io.vertx.core.json.JsonObject().put("value", "over h2c")));
    WebClient h2 = WebClient.create(vertx, new WebClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()));
    try {
      HttpResponse<Buffer> fetched = await(h2.get("/topics/t/partitions/0/records?offset=0")
          .putHeader("Accept", MediaTypes.SLUICE_BATCH).send());
      assertThat(fetched.version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(fetched.statusCode()).as(fetched.bodyAsString()).isEqualTo(200);
      List<RecordBatch> batches = RecordBatches.split(ByteBuffer.wrap(fetched.body().getBytes()));
      assertThat(batches).hasSize(1);
      batches.get(0).ensureValid();
    } finally {
      h2.close();
    }
  }
}
