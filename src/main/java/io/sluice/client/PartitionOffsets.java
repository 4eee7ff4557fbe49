package io.sluice.client;

/** A partition's first readable offset and its end offset (the high watermark: the next offset to be written). */
public record PartitionOffsets(long beginningOffset, long endOffset) {
}
