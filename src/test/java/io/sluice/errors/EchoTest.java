package io.sluice.errors;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What an error message repeats of a client's input: quoted, cut, and nothing in it that hides or forges text. */
class EchoTest {
  @Test
  void aShortValueIsQuotedAsItIs() {
    assertThat(Echo.quoted("orders-1")).isEqualTo("'orders-1'");
    assertThat(Echo.quoted(42)).isEqualTo("'42'");
    assertThat(Echo.quoted(null)).isEqualTo("null");
  }

  @Test
  void controlFormatAndQuoteCharactersAreEscaped() {
    assertThat(Echo.quoted("a\nb\u202ec'd\\e\u0000")).isEqualTo("'a\\u000ab\\u202ec\\u0027d\\u005ce\\u0000'");
  }

  @Test
  void aLongValueIsCutAndSaysHowLongItWas() {
    String quoted = Echo.quoted("x".repeat(100_000));
    assertThat(quoted).startsWith("'" + "x".repeat(Echo.MAX_CODE_POINTS) + "'")
        .endsWith("(the first " + Echo.MAX_CODE_POINTS + " of 100000 characters)");
    assertThat(quoted.length()).isLessThan(Echo.MAX_CODE_POINTS + 60);
  }

  @Test
  void aWholeMessageIsBoundedAndItsInvisibleCharactersEscapedButItsQuotesKept() {
    assertThat(Echo.message("Topic 'a' has no partition 3")).isEqualTo("Topic 'a' has no partition 3");
    assertThat(Echo.message("line\nforged\u2028")).isEqualTo("line\\u000aforged\\u2028");
    String cut = Echo.message("y".repeat(50_000));
    assertThat(cut).startsWith("y".repeat(Echo.MAX_MESSAGE_CHARS)).contains("of 50000 characters");
    assertThat(cut.length()).isLessThan(Echo.MAX_MESSAGE_CHARS + 60);
    assertThat(Echo.message("\n".repeat(50_000)).length()).as("escapes count").isLessThan(Echo.MAX_MESSAGE_CHARS + 60);
  }
}
