package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code POST /batches}' answer written straight into its buffer is byte for byte the {@code JsonObject} one. */
class BatchesAnswerTest {

  private static void assertSameAsJsonObject(List<BatchesAnswer.Entry> entries) {
    String direct = BatchesAnswer.encode(entries).toString();
    assertThat(direct).isEqualTo(BatchesAnswer.asJsonObject(entries).toBuffer().toString());
    assertThat(new JsonObject(direct)).isEqualTo(BatchesAnswer.asJsonObject(entries));
  }

  @Test
  void appendedEntriesAreWrittenAsJsonObjectWritesThem() {
    assertSameAsJsonObject(List.of(BatchesAnswer.Entry.appended("t", 0, List.of(1), List.of(0L), -1L)));
    assertSameAsJsonObject(List.of(
        BatchesAnswer.Entry.appended("a.b-c_D9", 2147483647, List.of(3, 1, 2147483647),
            List.of(9223372036854775807L, 10L, 1234567890123L), 1_733_000_000_123L),
        BatchesAnswer.Entry.appended("b", 7, List.of(5, 6), List.of(100L), -1L), // a base missing: -1
        BatchesAnswer.Entry.appended("", 1, List.of(), List.of(), 0L)));
  }

  @Test
  void anEntryWithAnErrorOrANameToEscapeGoesThroughJsonObject() {
    List<BatchesAnswer.Entry> refused = List.of(BatchesAnswer.Entry.appended("t", 0, List.of(1), List.of(4L), -1L),
        BatchesAnswer.Entry.refused("u", 1, 3, "This server does not host \"u\"-1\n"));
    assertSameAsJsonObject(refused);
    assertThat(new JsonObject(BatchesAnswer.encode(refused).toString()).getJsonArray("partitions").getJsonObject(1)
        .getString("message")).isEqualTo("This server does not host \"u\"-1\n");
    for (String name : List.of("q\"uote", "back\\slash", "ctl\u0001", "\u00e9t\u00e9", "\ud83d\ude00", "a/b")) {
      assertThat(io.sluice.record.PlainNames.isPlain(name)).as(name).isFalse();
      assertSameAsJsonObject(List.of(BatchesAnswer.Entry.appended(name, 0, List.of(1), List.of(2L), 5L)));
    }
  }
}
