package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cel.common.values.CelByteString;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expressions cannot make a value larger than {@code streams.max.value.bytes}, by copying or by sharing. */
class ExpressionsTest {
  private static final int LIMIT = 10_000;
  private static final Expressions CEL = new Expressions(4096, 1000, LIMIT);

  private static Object eval(String source, Object value) throws ProcessingException {
    return CEL.compile("steps[0].map.value", source).eval(Map.of("value", value));
  }

  @Test
  void concatenationWithinTheLimitWorksAsStandardCel() throws Exception {
    // The limit counts the string as JSON writes it: with its quotes.
    assertThat(eval("value + '!'", "a".repeat(LIMIT - 3))).isEqualTo("a".repeat(LIMIT - 3) + "!");
    assertThat(eval("b'!' + b'?'", "")).isEqualTo(CelByteString.copyFromUtf8("!?"));
    assertThat(eval("value + [3]", List.of(1L, 2L))).isEqualTo(List.of(1L, 2L, 3L));
    assertThat(eval("value + b'!'", CelByteString.copyFromUtf8("a"))).isEqualTo(CelByteString.copyFromUtf8("a!"));
    assertThat(eval("size(value) > 1 && value.startsWith('ab') && value.matches('^a.c$')", "abc")).isEqualTo(true);
  }

  @Test
  void aStringConcatenationPastTheLimitIsTheRecordsErrorNamingTheSetting() {
    assertThatThrownBy(() -> eval("value + value", "a".repeat(LIMIT / 2 + 1)))
        .isInstanceOf(ProcessingException.class)
        .hasMessageContaining("streams.max.value.bytes").hasMessageContaining("string of 10002 characters")
        .extracting(e -> ((ProcessingException) e).step()).isEqualTo("steps[0].map.value");
  }

  @Test
  void bytesAndListConcatenationsPastTheLimitAreRefused() {
    assertThatThrownBy(() -> eval("value + value", CelByteString.of(new byte[LIMIT / 2 + 1])))
        .isInstanceOf(ProcessingException.class).hasMessageContaining("streams.max.value.bytes");
    assertThatThrownBy(() -> eval("value + value", Collections.nCopies(LIMIT / 4 + 1, 1L)))
        .isInstanceOf(ProcessingException.class).hasMessageContaining("streams.max.value.bytes");
  }

  @Test
  void aResultSharingItsPartsIsMeasuredAsWritten() {
    // Nothing is copied: [value, value] holds two references. Written out it is twice the size.
    String half = "a".repeat(LIMIT / 2);
    assertThatThrownBy(() -> eval("[value, value]", half))
        .isInstanceOf(ProcessingException.class).hasMessageContaining("the result takes more than the 10000 bytes");
    assertThatThrownBy(() -> eval("{'a': value, 'b': {'c': value}}", half))
        .isInstanceOf(ProcessingException.class).hasMessageContaining("streams.max.value.bytes");
  }

  @Test
  void doublingAFoldStopsAtTheLimitInsteadOfTakingTheHeap() throws Exception {
    // reduce: aggregate + aggregate, aggregate as a list of itself: 2^n written bytes after n records.
    Expressions.Expression fold = CEL.compile("steps[1].reduce", "[value, value]");
    Object aggregate = "x";
    int records = 0;
    try {
      for (; records < 64; records++) {
        aggregate = fold.eval(Map.of("value", aggregate));
      }
    } catch (ProcessingException e) {
      assertThat(e.getMessage()).contains("streams.max.value.bytes");
    }
    assertThat(records).isBetween(10, 14);
  }

  @Test
  void sizeCountsEveryKindOfValue() {
    assertThat(ValueSize.exceeds("abc", 5)).isFalse();
    assertThat(ValueSize.exceeds("abcd", 5)).isTrue();
    assertThat(ValueSize.exceeds(List.of(123_456_789L, 123_456_789L), 19)).isTrue();
    assertThat(ValueSize.exceeds(Map.of("k", "v"), 12)).isFalse();
    assertThat(ValueSize.exceeds(CelByteString.of(new byte[30]), 41)).isTrue();
    assertThat(ValueSize.exceeds(CelByteString.of(new byte[30]), 42)).isFalse();
  }
}
