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
  void refusesLoneSurrogatesWrittenInUpperCaseOrAsTheirThreeByteForm() {
    assertRefused("{\"a\": \"\\uD800\"}", "surrogate");
    assertRefused("{\"a\": \"\\uDBFF\"}", "surrogate");
    assertRefused("{\"a\": \"\\uDc00\"}", "surrogate");
    byte[] threeByte = {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'};
    assertThatThrownBy(() -> StrictJson.parse(Buffer.buffer(threeByte), "Body"))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
  }

  @Test
  void onlyTextThatCanDecodeToASurrogateIsWalkedForOne() {
    assertThat(StrictJson.mayHoldSurrogate(Buffer.buffer("{\"p\": [{\"t\": \"\\u00e9\", \"x\": \"\\\\ud800\"}]}")))
        .as("no surrogate escape (an escaped backslash before u is text)").isFalse();
    assertThat(StrictJson.mayHoldSurrogate(Buffer.buffer("{\"s\": \"\u00e9\ud83d\ude00\"}")))
        .as("a four-byte character decodes into a proper pair").isFalse();
    assertThat(StrictJson.mayHoldSurrogate(Buffer.buffer("[\"\\ud83d\\ude00\"]"))).isTrue();
    assertThat(StrictJson.mayHoldSurrogate("[\"\ud83d\"]")).isTrue();
    assertThat(StrictJson.mayHoldSurrogate("[\"\\u0041\"]")).isFalse();
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
