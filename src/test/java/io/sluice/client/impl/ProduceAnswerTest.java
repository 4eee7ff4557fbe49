package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProduceAnswerTest {
  private static List<ProduceAnswer.Entry> parse(String json) {
    byte[] bytes = (json + "trailing bytes past the length").getBytes(StandardCharsets.UTF_8);
    return ProduceAnswer.parse(bytes, json.getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void appendedSectionsGiveEachBatchsBaseOffsetAndTheAppendTime() {
    List<ProduceAnswer.Entry> entries = parse("{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offsets\":"
        + "[{\"offset\":41,\"record_count\":3},{\"offset\":9007199254740993,\"record_count\":1}]},"
        + "{\"topic\":\"t\",\"partition\":1,\"offsets\":[{\"offset\":0,\"record_count\":1}],"
        + "\"log_append_time_ms\":1733400000000}]}");

    assertThat(entries).hasSize(2);
    assertThat(entries.get(0).errorCode()).isNull();
    assertThat(entries.get(0).offset(0)).isEqualTo(41);
    assertThat(entries.get(0).offset(1)).isEqualTo(9007199254740993L);
    assertThat(entries.get(0).offset(2)).as("a batch the answer names no offset for").isEqualTo(-1);
    assertThat(entries.get(0).logAppendTimeMs()).isEqualTo(-1);
    assertThat(entries.get(1).offset(0)).isZero();
    assertThat(entries.get(1).logAppendTimeMs()).isEqualTo(1733400000000L);
  }

  @Test
  void refusedSectionsGiveTheirCodeAndMessage() {
    List<ProduceAnswer.Entry> entries = parse("{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"error_code\":87,"
        + "\"message\":\"bad \\\"batch\\\" \\u00e9\"},{\"topic\":\"t\",\"partition\":1,\"error_code\":6}]}");

    assertThat(entries.get(0).errorCode()).isEqualTo(87);
    assertThat(entries.get(0).message()).isEqualTo("bad \"batch\" \u00e9");
    assertThat(entries.get(1).errorCode()).isEqualTo(6);
    assertThat(entries.get(1).message()).isNull();
  }

  @Test
  void unknownKeysAndValuesOfOtherShapesAreSkippedWhereverTheyStand() {
    List<ProduceAnswer.Entry> entries = parse("{\"throttle_time_ms\":0,\"extra\":{\"partitions\":[1,2]},"
        + "\"partitions\":[{\"new\":[{\"offset\":5}],\"offsets\":[{\"leader_epoch\":{\"x\":1},\"offset\":7},3],"
        + "\"message\":null},\"not an entry\",{\"offsets\":\"none\"}],\"after\":[[]]}");

    assertThat(entries).hasSize(3);
    assertThat(entries.get(0).offset(0)).isEqualTo(7);
    assertThat(entries.get(0).offset(1)).as("an offsets element that is not an object").isEqualTo(-1);
    assertThat(entries.get(0).errorCode()).isNull();
    assertThat(entries.get(1)).as("not an object: no outcome, the others keep their positions").isNull();
    assertThat(entries.get(2).offset(0)).isEqualTo(-1);
  }

  @Test
  void aBodyThatIsNoJsonObjectNamesNoEntry() {
    assertThat(parse("not json")).isNull();
    assertThat(parse("[1]")).isNull();
    assertThat(parse("{\"partitions\":[{\"offsets\":[{\"offset\":1}]")).as("cut short").isNull();
    assertThat(parse("{\"partitions\":[{\"error_code\":99999999999}]}")).as("a code beyond an int").isNull();
    assertThat(parse("")).isEmpty();
    assertThat(parse("{}")).isEmpty();
  }
}
