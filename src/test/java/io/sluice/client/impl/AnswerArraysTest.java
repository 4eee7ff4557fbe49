package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The large answers' arrays: made in whole MiB, given back, taken again by the next answer that fits. */
class AnswerArraysTest {
  private static final int MIB = AnswerArrays.MIN_POOLED_BYTES;

  @Test
  void smallAnswersGetArraysOfTheirOwnLengthAndAreNotKept() {
    AnswerArrays arrays = new AnswerArrays();
    byte[] small = arrays.take(MIB - 1);
    assertThat(small).hasSize(MIB - 1);
    arrays.give(small);
    assertThat(arrays.idle()).isZero();
  }

  @Test
  void largeAnswersGetWholeMibAndTheNextAnswerThatFitsTakesTheSmallestIdleArray() {
    AnswerArrays arrays = new AnswerArrays();
    byte[] three = arrays.take(2 * MIB + 1);
    byte[] five = arrays.take(5 * MIB);
    assertThat(three).hasSize(3 * MIB);
    assertThat(five).hasSize(5 * MIB);
    arrays.give(five);
    arrays.give(three);
    assertThat(arrays.take(3 * MIB - 7)).isSameAs(three);
    assertThat(arrays.take(4 * MIB)).isSameAs(five);
    assertThat(arrays.reused()).isEqualTo(2);
    assertThat(arrays.take(MIB)).hasSize(MIB).isNotSameAs(three).isNotSameAs(five); // none idle: a new one
  }

  @Test
  void anArrayIsNeverHandedOutTwiceAtOnce() {
    AnswerArrays arrays = new AnswerArrays();
    byte[] a = arrays.take(2 * MIB);
    arrays.give(a);
    assertThatThrownBy(() -> arrays.give(a)).isInstanceOf(IllegalStateException.class);
    assertThat(arrays.take(2 * MIB)).isSameAs(a);
    assertThat(arrays.take(2 * MIB)).isNotSameAs(a);
  }

  @Test
  void idleArraysAreBoundedAndForeignSizesDropped() {
    AnswerArrays arrays = new AnswerArrays();
    arrays.give(new byte[MIB + 1]); // not one this made
    assertThat(arrays.idle()).isZero();
    int fit = (int) (AnswerArrays.MAX_IDLE_BYTES / (16 * MIB));
    for (int i = 0; i <= fit; i++) {
      arrays.give(new byte[16 * MIB]);
    }
    assertThat(arrays.idle()).isEqualTo(fit);
  }
}
