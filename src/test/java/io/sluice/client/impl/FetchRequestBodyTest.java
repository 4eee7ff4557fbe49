package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.impl.FetchRequestBody.Read;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client's {@code POST /fetch} body written straight is the {@code JsonObject} encoding, byte for byte. */
class FetchRequestBodyTest {
  private static void assertSameAsJsonObject(List<Read> reads, long timeoutMs) {
    assertThat(FetchRequestBody.encode(reads, timeoutMs).toString())
        .isEqualTo(FetchRequestBody.asJsonObject(reads, timeoutMs).toBuffer().toString());
  }

  @Test
  void aReadersPollIsTheJsonObjectEncoding() {
    assertSameAsJsonObject(List.of(new Read("orders", 0, 42, 1_048_576)), 1_000);
    assertThat(FetchRequestBody.encode(List.of(new Read("orders", 0, 42, 1_048_576)), 1_000).toString())
        .isEqualTo("{\"partitions\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":42,\"max_bytes\":1048576}],"
            + "\"timeout\":1000}");
  }

  @Test
  void manyPartitionsAndExtremeNumbersAreTheJsonObjectEncoding() {
    assertSameAsJsonObject(List.of(new Read("a.b_c-D9", 7, 0, 1), new Read("x", Integer.MAX_VALUE,
        Long.MAX_VALUE, Integer.MAX_VALUE), new Read("y", -1, Long.MIN_VALUE, Integer.MIN_VALUE)), Long.MAX_VALUE);
    assertSameAsJsonObject(List.of(new Read("t", 0, -1, 0)), 0);
    assertSameAsJsonObject(List.of(), -5);
  }

  @Test
  void aNameToEscapeIsEscapedAsJacksonDoes() {
    for (String topic : List.of("quo\"te", "back\\slash", "ctl\u0001", "caf\u00e9", "emoji\ud83d\ude00", "sp ace",
        "lone\ud800")) {
      List<Read> reads = List.of(new Read("plain", 1, 2, 3), new Read(topic, 0, 5, 10));
      assertSameAsJsonObject(reads, 30_000);
      assertThat(new JsonObject(FetchRequestBody.encode(reads, 30_000)).getJsonArray("partitions")
          .getJsonObject(1).getString("topic")).isEqualTo(topic);
    }
  }
}
