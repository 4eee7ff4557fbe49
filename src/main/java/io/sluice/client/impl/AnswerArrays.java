package io.sluice.client.impl;

import java.util.ArrayList;
import java.util.List;

/**
 * The arrays large answers are gathered into ({@link BodyGatherer}), given back by whoever read one to the end (the
 * partition readers' fetches, through {@link Fetcher}) and gathered into again.
 *
 * <p><b>Why.</b> Six readers' fetch answers are 16 MiB each, a new array every 50 ms of a read: each one a G1
 * humongous allocation that the JVM zeroes and the kernel then faults in page by page, about a tenth of a reading
 * client's event loop (docs/benchmarks.md, issue 16, fifteenth session, h-c6, and sixteenth, h-c6b). A given-back
 * array is already zeroed once and mapped; nothing reads what it held before, because an answer only ever reads its
 * own declared length of it.
 *
 * <p>Arrays of at least {@link #MIN_POOLED_BYTES} are made in whole multiples of it, so answers of nearly the same size
 * fit the same array; smaller answers get an array of their own, as before. At most {@link #MAX_IDLE_BYTES} are kept
 * idle. An array taken and never given back (an answer no reader finished: a cancelled read, a JSON answer) is left to
 * the collector, as every array was before. Thread-safe: connections and readers may be on different threads.
 */
final class AnswerArrays {
  /** Answers from this size on are gathered into pooled arrays, made in multiples of it. */
  static final int MIN_POOLED_BYTES = 1 << 20;
  /** Bytes of idle arrays kept at most: two answers in flight and two being read, of six 4 MiB fetches each. */
  static final long MAX_IDLE_BYTES = 64L << 20;

  private final List<byte[]> idle = new ArrayList<>();
  private long idleBytes;
  private long reused;

  /** An array of at least {@code length} bytes: an idle one that fits (the smallest), or a new one. */
  synchronized byte[] take(int length) {
    if (length < MIN_POOLED_BYTES) {
      return new byte[length];
    }
    int best = -1;
    for (int i = 0; i < idle.size(); i++) {
      int size = idle.get(i).length;
      if (size >= length && (best < 0 || size < idle.get(best).length)) {
        best = i;
      }
    }
    if (best < 0) {
      long rounded = ((long) length + MIN_POOLED_BYTES - 1) / MIN_POOLED_BYTES * MIN_POOLED_BYTES;
      return new byte[(int) Math.min(rounded, Integer.MAX_VALUE - 8)];
    }
    byte[] array = idle.remove(best);
    idleBytes -= array.length;
    reused++;
    return array;
  }

  /**
   * Takes back an array nothing reads any more. Arrays this did not make (other sizes) and arrays beyond the bound
   * are dropped; an array given back twice is a bug that would let two answers share memory, so it throws.
   */
  synchronized void give(byte[] array) {
    if (array.length < MIN_POOLED_BYTES || array.length % MIN_POOLED_BYTES != 0) {
      return;
    }
    for (byte[] a : idle) {
      if (a == array) {
        throw new IllegalStateException("an answer's array was given back twice");
      }
    }
    if (idleBytes + array.length <= MAX_IDLE_BYTES) {
      idle.add(array);
      idleBytes += array.length;
    }
  }

  /** How many takes were served with an idle array; for tests. */
  synchronized long reused() {
    return reused;
  }

  /** How many arrays are idle; for tests. */
  synchronized int idle() {
    return idle.size();
  }
}
