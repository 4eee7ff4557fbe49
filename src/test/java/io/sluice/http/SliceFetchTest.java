package io.sluice.http;

/**
 * The batch and fetch tests again with the broker double answering fetches as slices of a segment file, so
 * raw batches go out through {@code sendFile} and the JSON formats read the file on the worker pool.
 */
class SliceFetchTest extends BatchesEndpointTest {
  @Override
  boolean sliceMode() {
    return true;
  }
}
