package io.sluice.client.impl;

/**
 * A size bound the broker's refusals lower and accepted traffic grows back: the bytes at which a partition seals its
 * batches (lowered to half a batch refused as too large, {@link SplitBatches}) or at which the producer cuts a
 * request's body (lowered to half a body refused by the broker's {@code http.max.body.bytes}).
 *
 * <p><b>Why it grows back.</b> A refusal says the bytes were too many then, not for good: a topic's
 * {@code max.message.bytes} can be raised, a partition's leader can move to a broker with a larger body limit, and
 * one burst of incompressible records refuses a compressed batch whose usual records would fit at full size. A
 * bound that only went down kept the producer at half size (or less) for the rest of its life. So after
 * {@code needed} accepted batches (or requests) that filled at least half of the bound, it doubles, up to the
 * configured size. A grown bound refused again makes {@code needed} double, so a limit that really is small costs
 * fewer and fewer refusals: about one per {@code FIRST_NEEDED * 2^k} batches, k refusals in. (Kafka's producer never
 * lowers {@code batch.size}; it splits every refused batch, and its compression-ratio estimate climbs back in small
 * steps.)
 *
 * <p>With nothing lowered, {@link #accepted} returns at its first comparison: the path without refusals pays one.
 *
 * <p>Confined to the producer's context, like {@link Sender}.
 */
final class GrowingCap {
  /** Accepted batches near the bound before its first growth. */
  static final int FIRST_NEEDED = 16;
  /** The most it takes: a limit raised after many refusals is still found within this many batches per doubling. */
  static final int MOST_NEEDED = 1 << 12;

  private final int configured;
  private int bytes;
  private int needed = FIRST_NEEDED;
  private int accepted;
  /** Whether the bound grew since the last refusal: only a refusal of a grown bound makes growing slower. */
  private boolean grown;

  GrowingCap(int configured) {
    this.configured = configured;
    this.bytes = configured;
  }

  /** The bound now: at most the configured size. */
  int bytes() {
    return bytes;
  }

  /** Accepted batches (or requests) near the bound it now takes to double it. */
  int needed() {
    return needed;
  }

  /**
   * {@code refusedBytes} were refused as too large: the bound goes to at most half of them. The refused batch's
   * pieces, or batches sealed before the bound went down, refused in turn do not slow growth again.
   */
  void refused(int refusedBytes) {
    if (grown) {
      needed = Math.min(MOST_NEEDED, needed * 2);
      grown = false;
    }
    bytes = Math.max(1, Math.min(bytes, refusedBytes / 2));
    accepted = 0;
  }

  /** {@code acceptedBytes} were written: near the bound, they count toward its doubling. */
  void accepted(int acceptedBytes) {
    if (bytes >= configured || acceptedBytes < bytes / 2) {
      return;
    }
    if (++accepted >= needed) {
      bytes = (int) Math.min(configured, 2L * bytes);
      accepted = 0;
      grown = true;
    }
  }
}
