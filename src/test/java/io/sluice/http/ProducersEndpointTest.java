package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

/** Idempotent producer ids; a body asking for more (transactions) or anything else is refused, never ignored. */
class ProducersEndpointTest extends HttpApiTestBase {

  private HttpResponse<Buffer> init(String body) {
    return body == null ? await(client.post("/producers").send())
        : post("/producers", "application/json", body);
  }

  @Test
  void withoutABodyOrWithAnEmptyOneEachCallGetsANewProducerId() {
    HttpResponse<Buffer> first = init(null);
    HttpResponse<Buffer> second = init("{}");
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    assertThat(second.statusCode()).as(second.bodyAsString()).isEqualTo(200);
    assertThat(second.bodyAsJsonObject().getLong("producer_id"))
        .isNotEqualTo(first.bodyAsJsonObject().getLong("producer_id"));
  }

  /**
   * A transactional id was silently ignored: the producer got a plain id and believed it had transactions. Without
   * the transaction coordinator (this front end alone) it is refused.
   */
  @Test
  void aTransactionalIdOrAnUnknownFieldIsRefused() {
    HttpResponse<Buffer> transactional = init("{\"transactional_id\": \"orders-tx\"}");
    assertError(transactional, 400, ErrorCode.INVALID_REQUEST);
    assertThat(transactional.bodyAsJsonObject().getString("message")).contains("transactional_id", "no transaction coordinator");
    HttpResponse<Buffer> unknown = init("{\"acks\": \"all\"}");
    assertError(unknown, 400, ErrorCode.INVALID_REQUEST);
    assertThat(unknown.bodyAsJsonObject().getString("message")).contains("acks");
    assertError(init("[1]"), 400, ErrorCode.MALFORMED_REQUEST);
  }
}
