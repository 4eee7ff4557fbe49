package io.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicPatternTest {

  @Test
  void everyCharacterOutsideAClassCountsOnceAndCountedRepetitionsMultiplyWhatTheyRepeat() {
    assertThat(TopicPattern.expandedSize("orders-.*")).isEqualTo(9);
    assertThat(TopicPattern.expandedSize("a{3}")).isEqualTo(3);
    assertThat(TopicPattern.expandedSize("(ab){2}c")).isEqualTo(7);
    assertThat(TopicPattern.expandedSize("[a-z0-9]{10}")).isEqualTo(10);
    assertThat(TopicPattern.expandedSize("a{2,5}")).isEqualTo(5);
    assertThat(TopicPattern.expandedSize("a{4,}")).isEqualTo(4);
    assertThat(TopicPattern.expandedSize("(a{1000}){1000}")).isEqualTo(1_001_000);
    assertThat(TopicPattern.expandedSize("((a{1000}){1000}){1000}")).isGreaterThan(1_000_000_000L);
    assertThat(TopicPattern.expandedSize("(((((a{1000000000}){1000000000}){1000000000}){1000000000}){1000000000})"))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void bracesThatAreNotARepetitionAreLiteralOrPartOfAnEscape() {
    assertThat(TopicPattern.expandedSize("\\p{Greek}{3}")).isEqualTo(3);
    assertThat(TopicPattern.expandedSize("\\x{41}{2}")).isEqualTo(2);
    assertThat(TopicPattern.expandedSize("[{]{2}")).isEqualTo(2);
    assertThat(TopicPattern.expandedSize("\\Qa{9}\\E")).isEqualTo(4);
    assertThat(TopicPattern.expandedSize("a{x}")).isEqualTo(4);
  }

  @Test
  void groupsFlagsAndUnclosedGroupsAreBounded() {
    assertThat(TopicPattern.expandedSize("(?i:ab){3}")).isEqualTo(9);
    assertThat(TopicPattern.expandedSize("(?P<n>ab){3}")).isEqualTo(9);
    assertThat(TopicPattern.expandedSize("(?i)ab")).isEqualTo(3);
    assertThat(TopicPattern.expandedSize("((ab")).isEqualTo(2);
  }

  @Test
  void compilesRe2SyntaxAndMatchesWholeNames() {
    assertThat(TopicPattern.compile("pat-.*").matches("pat-a")).isTrue();
    assertThat(TopicPattern.compile("pat-.*").matcher("nopat-a").matches()).isFalse();
    assertThat(TopicPattern.compile("(?i)ORDERS\\.[a-z]+").matches("orders.eu")).isTrue();
    assertThat(TopicPattern.compile("(.*a){14}").matches("a".repeat(40) + "x")).isFalse();
  }

  @Test
  void refusesNamingWhy() {
    assertThatThrownBy(() -> TopicPattern.compile("(a{1000}){1000}")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("is too large: 1001000 atoms with its counted repetitions expanded, at most 1000");
    assertThatThrownBy(() -> TopicPattern.compile("(a{1000000000}){1000000000}{1000000000}"))
        .hasMessage("is too large: over 1000 atoms with its counted repetitions expanded, at most 1000");
    assertThatThrownBy(() -> TopicPattern.compile("(a)\\1")).hasMessageStartingWith(
        "is not a valid regular expression (RE2 syntax): error parsing regexp: invalid escape sequence");
    assertThatThrownBy(() -> TopicPattern.compile("[a-")).hasMessageStartingWith(
        "is not a valid regular expression (RE2 syntax): ");
    assertThatThrownBy(() -> TopicPattern.compile("a".repeat(1001))).hasMessageStartingWith("is too large: 1001 ");
  }
}
