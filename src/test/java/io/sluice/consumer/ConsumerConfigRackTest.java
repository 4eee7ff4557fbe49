package io.sluice.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.GroupConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** A REST v2 consumer's {@code client.rack}: taken, persisted with the instance, bounded. */
class ConsumerConfigRackTest {
  @Test
  void clientRackIsAKnownSettingKeptAcrossTheInstancesPersistedForm() {
    ConsumerConfig c = ConsumerConfig.parse(new JsonObject().put("name", "c").put("client.rack", "eu-west-1b"),
        GroupConfig.defaults());

    assertThat(c.clientRack()).isEqualTo("eu-west-1b");
    assertThat(ConsumerConfig.fromJson(c.toJson()).clientRack()).isEqualTo("eu-west-1b");
    assertThat(ConsumerConfig.parse(new JsonObject().put("name", "d"), GroupConfig.defaults()).clientRack()).isNull();
  }

  @Test
  void aRackLongerThan255CharactersIsRefused() {
    SluiceException e = catchThrowableOfType(() -> ConsumerConfig.parse(new JsonObject().put("name", "c")
        .put("client.rack", "r".repeat(256)), GroupConfig.defaults()), SluiceException.class);
    assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(e.getMessage()).contains("client.rack");
  }

  /** The refusal repeated the id whole: 100 KB came back in the answer, and a newline in it forged a log line. */
  @Test
  void aRefusedGroupInstanceIdIsEchoedQuotedAndBounded() {
    String id = "\n2026-12-06 ERROR forged" + "i".repeat(100_000);
    SluiceException e = catchThrowableOfType(() -> ConsumerConfig.parse(new JsonObject().put("name", "c")
        .put("group.instance.id", id), GroupConfig.defaults()), SluiceException.class);
    assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(e.getMessage()).contains("group.instance.id", "'\\u000a2026-12-06 ERROR forged")
        .doesNotContain("\n").hasSizeLessThan(400);
  }
}
