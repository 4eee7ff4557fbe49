package io.sluice.api;

import java.io.Serializable;
/** A partition's first offset and its end offset as consumers see it (the high watermark). */
public record OffsetRange(long beginningOffset, long endOffset) implements Serializable {
}
