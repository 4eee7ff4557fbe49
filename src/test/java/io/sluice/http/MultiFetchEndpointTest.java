package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.FetchSection;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code POST /fetch}: many partitions read in one request, each answered in its own section. */
class MultiFetchEndpointTest extends HttpApiTestBase {

  private Future<HttpResponse<Buffer>> send(JsonObject body) {
    return client.post(MultiFetchEndpoint.PATH).putHeader("Content-Type", "application/json")
        .sendBuffer(body.toBuffer());
  }

  private List<FetchSection> fetchAll(JsonObject body) {
    HttpResponse<Buffer> r = await(send(body));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).isEqualTo(MediaTypes.SLUICE_PARTITION_BATCHES);
    return PartitionSections.parseFetch(ByteBuffer.wrap(r.body() == null ? new byte[0] : r.body().getBytes()));
  }

  private static JsonObject at(String topic, int partition, long offset) {
    return new JsonObject().put("topic", topic).put("partition", partition).put("offset", offset);
  }

  private void produce(String topic, int partition, ByteBuffer... batches) {
    HttpResponse<Buffer> r = await(client.post(PartitionBatchesEndpoint.PATH)
        .putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES)
        .sendBuffer(PartitionBatchesEndpointTest.section(topic, partition, batches)));
    assertThat(r.statusCode()).isEqualTo(200);
  }

  private static List<String> values(FetchSection s) {
    return RecordBatches.split(s.batches()).stream().flatMap(b -> b.records().stream())
        .map(rec -> new String(rec.value())).toList();
  }

  @Test
  void readsManyPartitionsInOneRequestInRequestOrder() {
    createTopic("a", 2);
    createTopic("b", 1);
    produce("a", 0, batch(0, "a0", "a1"), batch(0, "a2"));
    produce("a", 1, batch(0, "x"));
    produce("b", 0, batch(0, "b0"));

    List<FetchSection> sections = fetchAll(new JsonObject().put("partitions", new JsonArray()
        .add(at("b", 0, 0)).add(at("a", 0, 2)).add(at("a", 1, 1))));

    assertThat(sections).extracting(FetchSection::topic, FetchSection::partition)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("b", 0), org.assertj.core.groups.Tuple.tuple("a", 0),
            org.assertj.core.groups.Tuple.tuple("a", 1));
    assertThat(values(sections.get(0))).containsExactly("b0");
    assertThat(values(sections.get(1))).containsExactly("a2");
    assertThat(sections.get(1).highWatermark()).isEqualTo(3);
    assertThat(sections.get(1).nextOffset()).isEqualTo(3);
    assertThat(sections.get(2).batches().remaining()).isZero();
    assertThat(sections.get(2).nextOffset()).isEqualTo(1);
    assertThat(sections).allMatch(s -> s.errorCode() == 0);
    RecordBatches.split(sections.get(0).batches()).forEach(RecordBatch::ensureValid);
  }

  @Test
  void onePartitionsErrorStaysInItsSection() {
    createTopic("a", 2);
    produce("a", 0, batch(0, "v"));
    List<FetchSection> sections = fetchAll(new JsonObject().put("partitions", new JsonArray()
        .add(at("a", 5, 0)).add(at("a", 1, 99)).add(at("a", 0, 0)).add(at("nosuch", 0, 0))).put("timeout", 0));
    assertThat(sections.get(0).errorCode()).isEqualTo((short) ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
    assertThat(sections.get(0).message()).contains("5");
    assertThat(sections.get(1).errorCode()).isEqualTo((short) ErrorCode.OFFSET_OUT_OF_RANGE.code());
    assertThat(sections.get(2).errorCode()).isZero();
    assertThat(values(sections.get(2))).containsExactly("v");
    assertThat(sections.get(3).errorCode()).isEqualTo((short) ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
  }

  @Test
  void theRequestsMaxBytesFillsPartitionsInOrderAndTheFirstGoesWhole() {
    createTopic("a", 3);
    for (int p = 0; p < 3; p++) {
      produce("a", p, batch(0, "0123456789".repeat(20)));
    }
    List<FetchSection> sections = fetchAll(new JsonObject().put("max_bytes", 300).put("partitions", new JsonArray()
        .add(at("a", 0, 0)).add(at("a", 1, 0).put("max_bytes", 1)).add(at("a", 2, 0))));
    assertThat(values(sections.get(0))).hasSize(1);
    // partition 1's own max_bytes is 1 but its first batch still comes whole, so the 300 are used up by then
    assertThat(values(sections.get(1))).hasSize(0);
    assertThat(values(sections.get(2))).isEmpty();
    assertThat(sections.get(2).nextOffset()).isZero();
    assertThat(sections.get(2).highWatermark()).isEqualTo(1);
  }

  @Test
  void aLongPollAnswersAsSoonAsAnyPartitionHasData() throws Exception {
    createTopic("a", 3);
    // Longer than await's 20 s: the answer only arrives in time if the append to partition 2 ends the wait.
    Future<HttpResponse<Buffer>> pending = send(new JsonObject().put("timeout", 30_000).put("partitions",
        new JsonArray().add(at("a", 0, 0)).add(at("a", 1, 0)).add(at("a", 2, 0))));
    org.awaitility.Awaitility.await("the three partitions' fetches waiting").atMost(java.time.Duration.ofSeconds(10))
        .until(() -> broker.fetchesWaiting == 3);
    produce("a", 2, batch(0, "late"));
    HttpResponse<Buffer> r = await(pending);
    List<FetchSection> sections = PartitionSections.parseFetch(ByteBuffer.wrap(r.body().getBytes()));
    assertThat(values(sections.get(2))).containsExactly("late");
    assertThat(values(sections.get(0))).isEmpty();
  }

  @Test
  void withNoWaitAnEmptyLogAnswersAtOnce() {
    createTopic("a", 1);
    List<FetchSection> sections = fetchAll(new JsonObject().put("timeout", 0)
        .put("partitions", new JsonArray().add(at("a", 0, 0))));
    assertThat(sections).hasSize(1);
    assertThat(sections.get(0).batches().remaining()).isZero();
  }

  @Test
  void badRequestsAreRefusedWithWhatWasWrong() {
    createTopic("a", 1);
    assertError(await(send(new JsonObject())), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(await(send(new JsonObject().put("partitions", new JsonArray()))), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(await(send(new JsonObject().put("partitions", new JsonArray().add(at("a", 0, 0)).add(at("a", 0, 3))))),
        400, ErrorCode.MALFORMED_REQUEST);
    assertError(await(send(new JsonObject().put("partitions", new JsonArray().add(at("a", 0, -1))))), 400,
        ErrorCode.MALFORMED_REQUEST);
    assertError(await(send(new JsonObject().put("partitions", new JsonArray().add(new JsonObject()
        .put("partition", 0).put("offset", 0))))), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(await(send(new JsonObject().put("partitions", new JsonArray().add(at("a", 0, 0)))
        .put("timeout", "soon"))), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(await(send(new JsonObject().put("partitions", new JsonArray().add("a-0")))), 400,
        ErrorCode.MALFORMED_REQUEST);
    HttpResponse<Buffer> notJson = await(client.post(MultiFetchEndpoint.PATH).putHeader("Content-Type", "text/plain")
        .sendBuffer(Buffer.buffer("a")));
    assertError(notJson, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    HttpResponse<Buffer> missing = await(send(new JsonObject().put("partitions", new JsonArray().add(at("a", 0, 0)
        .putNull("offset")))));
    assertError(missing, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(missing.bodyAsJsonObject().getString("message")).contains("partitions[0].offset");
  }

  /** The streaming parse of the canonical body leaves every refusal to the full parse: same 400, same message. */
  @Test
  void bodiesInTheClientsShapeButWrongKeepTheFullParsesRefusal() {
    createTopic("a", 1);
    String at0 = "{\"topic\":\"a\",\"partition\":0,\"offset\":0}";
    assertRefusal("{\"partitions\":[" + at0 + "],\"timeout\":0,\"timeout\":1}", "is not valid JSON: Duplicate field");
    assertRefusal("{\"partitions\":[{\"topic\":\"a\\ud800\",\"partition\":0,\"offset\":0}]}", "lone UTF-16 surrogate");
    assertRefusal("{\"partitions\":[" + at0 + "," + at0 + "]}", "partitions[1] names a-0 again");
    assertRefusal("{\"partitions\":[{\"topic\":\"a\",\"partition\":0,\"offset\":-2}]}",
        "partitions[0].offset must be an integer from 0 to 9223372036854775807, got -2");
    assertRefusal("{\"partitions\":[" + at0 + "],\"timeout\":0} {}", "is not valid JSON");
    HttpResponse<Buffer> unusual = await(client.post(MultiFetchEndpoint.PATH).putHeader("Content-Type",
        "application/json").sendBuffer(Buffer.buffer("{\"partitions\":[" + at0 + "],\"timeout\":0.0,\"x\":1}")));
    assertThat(unusual.statusCode()).as(unusual.bodyAsString()).isEqualTo(200);
  }

  private void assertRefusal(String body, String message) {
    HttpResponse<Buffer> r = await(client.post(MultiFetchEndpoint.PATH).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(body)));
    assertError(r, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(r.bodyAsJsonObject().getString("message")).as(body).contains(message);
  }
}
