package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class StrictJsonTest {
  @Test
  void parsesWhatPlainDecodingParsesWithTheSameTypes() {
    JsonObject o = StrictJson.parseObject(Buffer.buffer(
        "{\"i\": 1, \"l\": 12345678901, \"d\": 1.5, \"s\": \"\\ud83d\\ude00\", \"n\": null, \"a\": [true, {}]}"), "Body");
    assertThat(o.getValue("i")).isInstanceOf(Integer.class);
    assertThat(o.getValue("l")).isInstanceOf(Long.class);
    assertThat(o.getValue("d")).isEqualTo(1.5);
    assertThat(o.getString("s")).isEqualTo("\ud83d\ude00");
    assertThat(o).isEqualTo(new JsonObject(o.encode()));
  }

  @Test
  void refusesDuplicateKeysAtAnyDepth() {
    assertRefused("{\"a\": 1, \"a\": 2}", "Duplicate");
    assertRefused("{\"x\": [{\"b\": 1, \"b\": 1}]}", "Duplicate");
  }

  @Test
  void refusesLoneSurrogatesInValuesAndKeys() {
    assertRefused("{\"a\": \"\\ud800\"}", "surrogate");
    assertRefused("{\"a\": \"x\\udfffy\"}", "surrogate");
    assertRefused("{\"a\": [\"\\ude00\\ud83d\"]}", "surrogate");
    assertRefused("{\"\\ud800\": 1}", "surrogate");
  }

  @Test
  void refusesTrailingTokensAndNonJson() {
    assertRefused("{} {}", "not valid JSON");
    assertRefused("{", "not valid JSON");
  }

  private static void assertRefused(String text, String says) {
    assertThatThrownBy(() -> StrictJson.parse(Buffer.buffer(text), "Body"))
        .isInstanceOfSatisfying(SluiceException.class, e -> {
          assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
          assertThat(e.getMessage()).contains(says);
        });
  }
}
