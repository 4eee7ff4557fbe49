package io.sluice.broker;

import io.sluice.storage.ReadResult;
import io.sluice.storage.TopicPartition;
import io.vertx.core.buffer.Buffer;

/**
 * What a fetch returned: whole batches, either as a slice of a local segment file ({@code slice}, which the
 * HTTP layer may send zero-copy) or as bytes that came over the cluster ({@code bytes}); exactly one is set,
 * and both may describe zero bytes.
 */
public record FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, ReadResult slice,
    Buffer bytes) {

  public int sizeInBytes() {
    return slice != null ? slice.length() : bytes.length();
  }
}
