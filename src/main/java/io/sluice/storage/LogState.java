package io.sluice.storage;

/**
 * What readers may see of a log, published by the owner through one volatile write after each change: the
 * offsets, the segments (oldest first, the last one active) and how many bytes of the active segment hold
 * complete batches. Immutable; the array is never modified after publication.
 */
record LogState(long logStartOffset, long logEndOffset, Segment[] segments, int activeSize) {

  Segment active() {
    return segments[segments.length - 1];
  }

  /** Bytes of whole batches a reader may read from {@code segment}. */
  int readableSize(Segment segment) {
    return segment == active() ? activeSize : segment.size;
  }

  /** Index of the segment whose base offset is the largest at or below {@code offset}, or -1. */
  int floorIndex(long offset) {
    int lo = 0;
    int hi = segments.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  long sizeInBytes() {
    long total = 0;
    for (int i = 0; i < segments.length - 1; i++) {
      total += segments[i].size;
    }
    return total + activeSize;
  }
}
