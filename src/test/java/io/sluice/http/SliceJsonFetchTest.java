package io.sluice.http;

/** The fetch tests with the broker double answering file slices instead of bytes. */
class SliceJsonFetchTest extends FetchEndpointTest {
  @Override
  boolean sliceMode() {
    return true;
  }
}
