package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.FetchRequest;
import io.sluice.api.TopicPartition;
import io.sluice.errors.SluiceException;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The streaming parse of {@code POST /fetch}'s body against the full one: whatever it takes, it reads exactly as the
 * full parse does; whatever the full parse refuses, it leaves to the full parse (so the 400 and its message stay).
 */
class CanonicalFetchBodyTest {
  private static final HttpApiConfig CFG = HttpApiConfig.defaults("127.0.0.1", 0);
  private static final MultiFetchEndpoint FULL = new MultiFetchEndpoint(null, CFG, null);

  /** Bodies in the canonical shape: the client's, keys in another order, every key, bounds lowered. */
  private static final List<String> CANONICAL = List.of(
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5,\"max_bytes\":1048576}],\"timeout\":1000}",
      " {\"timeout\": 0, \"partitions\": [{\"offset\": 0, \"max_bytes\": 1, \"partition\": 3, \"topic\": \"a.b-c_d\"},"
          + " {\"topic\": \"\\ud83d\\ude00\", \"partition\": 2147483647, \"offset\": 9223372036854775807}]} ",
      "{\"max_bytes\":2147483647,\"min_bytes\":0,\"timeout\":9223372036854775807,"
          + "\"partitions\":[{\"topic\":\"t\",\"partition\":1,\"offset\":7,\"max_bytes\":2147483647}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":1},{\"topic\":\"t\",\"partition\":1,\"offset\":1},"
          + "{\"topic\":\"u\",\"partition\":0,\"offset\":1}],\"min_bytes\":100}");

  /** Bodies the full parse takes but not in the canonical shape: left to it. */
  private static final List<String> TAKEN_BY_THE_FULL_PARSE = List.of(
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"timeout\":1000,\"extra\":[1,{}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5.0}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5,\"max_bytes\":null}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5,\"client\":\"x\"}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"max_bytes\":1e3}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}] /* Vert.x's parser takes comments */}");

  /** Bodies the full parse refuses with 400: each must be left to it, whatever is wrong and wherever. */
  private static final List<String> REFUSED = List.of(
      "", " ", "[]", "null", "{", "{}", "{} {}", "{\"partitions\":[]}", "{\"partitions\":{}}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}]} x",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"timeout\":1,\"timeout\":2}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5,\"offset\":6}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"partitions\":[]}",
      "{\"partitions\":[{\"topic\":\"\\ud800\",\"partition\":0,\"offset\":5}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"x\":\"\\udfff\"}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5},{\"topic\":\"t\",\"partition\":0,\"offset\":6}]}",
      "{\"partitions\":[{\"topic\":\"\",\"partition\":0,\"offset\":5}]}",
      "{\"partitions\":[{\"topic\":1,\"partition\":0,\"offset\":5}]}",
      "{\"partitions\":[{\"partition\":0,\"offset\":5}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"offset\":5}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":-1,\"offset\":5}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":2147483648,\"offset\":5}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":-1}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":92233720368547758070}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5,\"max_bytes\":0}]}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"max_bytes\":0}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"min_bytes\":-1}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5}],\"timeout\":\"soon\"}",
      "{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":5.5}]}",
      "{\"partitions\":[\"t-0\"]}");

  private static FetchRequest at(String topic, int partition, long offset, int maxBytes) {
    return new FetchRequest(new TopicPartition(topic, partition), offset, maxBytes, 0, 0);
  }

  private static MultiFetchEndpoint.Request full(String body) {
    return FULL.parse(Replies.jsonObjectBody(Buffer.buffer(body)));
  }

  private static Throwable refusal(String body) {
    try {
      full(body);
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  @Test
  void theCanonicalShapeReadsAsTheFullParseReadsIt() {
    for (String body : CANONICAL) {
      MultiFetchEndpoint.Request fast = CanonicalFetchBody.tryParse(Buffer.buffer(body), CFG);
      assertThat(fast).as(body).isNotNull().isEqualTo(full(body));
    }
    assertThat(CanonicalFetchBody.tryParse(Buffer.buffer(CANONICAL.get(0)), CFG)).isEqualTo(
        new MultiFetchEndpoint.Request(List.of(at("t", 0, 5, Math.min(1048576, CFG.maxFetchBytes()))),
            CFG.maxFetchBytes(), 1, Math.min(1000, CFG.maxFetchWaitMs())));
  }

  @Test
  void aSliceOfALargerBufferIsReadFromItsOwnBytes() {
    Buffer whole = Buffer.buffer("xxxx" + CANONICAL.get(0) + "yyyy");
    Buffer slice = whole.slice(4, 4 + CANONICAL.get(0).length());
    assertThat(CanonicalFetchBody.tryParse(slice, CFG)).isEqualTo(full(CANONICAL.get(0)));
  }

  @Test
  void whatIsNotCanonicalIsLeftToTheFullParse() {
    for (String body : TAKEN_BY_THE_FULL_PARSE) {
      assertThat(CanonicalFetchBody.tryParse(Buffer.buffer(body), CFG)).as(body).isNull();
      assertThat(full(body)).as(body).isNotNull();
    }
  }

  @Test
  void everyBodyTheFullParseRefusesIsLeftToIt() {
    for (String body : REFUSED) {
      assertThat(CanonicalFetchBody.tryParse(Buffer.buffer(body), CFG)).as(body).isNull();
      assertThat(refusal(body)).as("the full parse of " + body).isInstanceOf(SluiceException.class);
    }
  }

  @Test
  void aLongListIsLeftToTheFullParse() {
    StringBuilder body = new StringBuilder("{\"partitions\":[");
    for (int i = 0; i <= CanonicalFetchBody.MAX_PARTITIONS; i++) {
      body.append(i == 0 ? "" : ",").append("{\"topic\":\"t\",\"partition\":").append(i).append(",\"offset\":0}");
    }
    String text = body.append("]}").toString();
    assertThat(CanonicalFetchBody.tryParse(Buffer.buffer(text), CFG)).isNull();
    assertThat(full(text).partitions()).hasSize(CanonicalFetchBody.MAX_PARTITIONS + 1);
  }
}
