package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A lowered size bound doubles back toward its configured size after enough accepted batches near it; each refusal of
 * a grown bound doubles how many it takes. Before, a lowered bound stayed lowered for the producer's life.
 */
class GrowingCapTest {
  private static final int CONFIGURED = 16_000;

  @Test
  void unloweredItStaysAtTheConfiguredSize() {
    GrowingCap cap = new GrowingCap(CONFIGURED);
    for (int i = 0; i < 1_000; i++) {
      cap.accepted(CONFIGURED);
    }
    assertThat(cap.bytes()).isEqualTo(CONFIGURED);
  }

  @Test
  void aRefusalHalvesTheRefusedBytesAndAcceptedBatchesNearTheBoundGrowItBackToTheConfiguredSize() {
    GrowingCap cap = new GrowingCap(CONFIGURED);
    cap.refused(CONFIGURED);
    assertThat(cap.bytes()).isEqualTo(CONFIGURED / 2);
    acceptFull(cap, GrowingCap.FIRST_NEEDED - 1);
    assertThat(cap.bytes()).isEqualTo(CONFIGURED / 2);
    acceptFull(cap, 1);
    assertThat(cap.bytes()).isEqualTo(CONFIGURED);
  }

  @Test
  void batchesFarBelowTheBoundDoNotGrowIt() {
    GrowingCap cap = new GrowingCap(CONFIGURED);
    cap.refused(CONFIGURED);
    for (int i = 0; i < 1_000; i++) {
      cap.accepted(cap.bytes() / 2 - 1);
    }
    assertThat(cap.bytes()).isEqualTo(CONFIGURED / 2);
  }

  @Test
  void itNeverGrowsPastTheConfiguredSize() {
    GrowingCap cap = new GrowingCap(CONFIGURED);
    cap.refused(CONFIGURED + 2_000);
    acceptFull(cap, GrowingCap.FIRST_NEEDED);
    assertThat(cap.bytes()).isEqualTo(CONFIGURED);
  }

  @Test
  void eachRefusalOfAGrownBoundDoublesTheBatchesItTakesToGrowAgain() {
    // A limit that really is 5,000 bytes: the bound settles at 4,000, tries 8,000, is refused, and tries again later.
    GrowingCap cap = new GrowingCap(CONFIGURED);
    cap.refused(CONFIGURED);
    cap.refused(CONFIGURED / 2);
    assertThat(cap.bytes()).isEqualTo(4_000);
    int refusals = 0;
    int batches = 0;
    for (; batches < 2_000; batches++) {
      if (cap.bytes() > 5_000) {
        cap.refused(cap.bytes());
        refusals++;
      } else {
        cap.accepted(cap.bytes());
      }
    }
    // 16, 32, 64, ... 512 accepted batches between refusals: 6 refusals in 2,000 batches, not one in 17.
    assertThat(refusals).isEqualTo(6);
    assertThat(cap.needed()).isEqualTo(GrowingCap.FIRST_NEEDED << 6);
  }

  @Test
  void piecesOfARefusedBatchRefusedInTurnDoNotSlowGrowth() {
    GrowingCap cap = new GrowingCap(CONFIGURED);
    cap.refused(CONFIGURED);
    acceptFull(cap, GrowingCap.FIRST_NEEDED);
    cap.refused(CONFIGURED);
    cap.refused(CONFIGURED / 2);
    cap.refused(CONFIGURED / 4);
    assertThat(cap.needed()).isEqualTo(2 * GrowingCap.FIRST_NEEDED);
    assertThat(cap.bytes()).isEqualTo(CONFIGURED / 8);
  }

  @Test
  void growthSlowsAtMostToItsCeiling() {
    GrowingCap cap = new GrowingCap(CONFIGURED);
    cap.refused(CONFIGURED);
    for (int i = 0; i < 30; i++) {
      acceptFull(cap, cap.needed());
      cap.refused(CONFIGURED);
    }
    assertThat(cap.needed()).isEqualTo(GrowingCap.MOST_NEEDED);
    acceptFull(cap, GrowingCap.MOST_NEEDED);
    assertThat(cap.bytes()).isEqualTo(CONFIGURED);
  }

  private static void acceptFull(GrowingCap cap, int batches) {
    for (int i = 0; i < batches; i++) {
      cap.accepted(cap.bytes());
    }
  }
}
