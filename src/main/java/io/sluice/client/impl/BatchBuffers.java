package io.sluice.client.impl;

import java.util.ArrayDeque;

/**
 * A producer's full-size batch arrays, handed back once a batch is answered and reused by the next batch, as Kafka's
 * producer reuses its {@code buffer.memory}.
 *
 * <p><b>Why.</b> A producer with many records unanswered keeps dozens of batch arrays alive (200,000 records of
 * 100 B are about 80 arrays of 256 KiB). Allocated new for every batch, each one lived through several young
 * collections, copied each time, and was then promoted to die in the old generation: most of the bytes the
 * client's collector moved (docs/benchmarks.md, issue 16 ninth session, h-p6). Reused, an array is promoted once and
 * stays.
 *
 * <p>Only arrays of exactly {@link #arrayBytes()} come back here (a batch that grew past it, or a small first batch,
 * is left to the collector), and at most {@link #maxPooled()} are kept: a producer's idle arrays are bounded like
 * Kafka's {@code buffer.memory} (32 MiB by default). Confined to the producer's context.
 */
final class BatchBuffers {
  /** Bytes of idle arrays kept at most. */
  static final long MAX_POOLED_BYTES = 32L << 20;

  private final int arrayBytes;
  private final int maxPooled;
  private final ArrayDeque<byte[]> idle = new ArrayDeque<>();
  private long reused;

  BatchBuffers(int arrayBytes) {
    this.arrayBytes = arrayBytes;
    this.maxPooled = (int) Math.max(1, MAX_POOLED_BYTES / arrayBytes);
  }

  int arrayBytes() {
    return arrayBytes;
  }

  int maxPooled() {
    return maxPooled;
  }

  int idle() {
    return idle.size();
  }

  /** How many takes were served with an idle array; for tests. */
  long reused() {
    return reused;
  }

  /** An idle array, or a new one. */
  byte[] take() {
    byte[] a = idle.pollLast();
    if (a == null) {
      return new byte[arrayBytes];
    }
    reused++;
    return a;
  }

  /** Takes back an array nothing reads any more; other sizes, and arrays beyond the bound, are dropped. */
  void give(byte[] array) {
    if (array.length == arrayBytes && idle.size() < maxPooled) {
      idle.addLast(array);
    }
  }
}
