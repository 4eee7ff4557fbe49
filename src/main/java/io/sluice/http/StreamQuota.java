package io.sluice.http;

import io.sluice.api.RequestContext;
import java.util.List;

/**
 * Client quotas for what moves over a stream after the request that opened it (a WebSocket's messages, an SSE
 * stream's events): the quota component's HTTP extension implements it, and the streams ask it once per message or
 * frame they carry, as the HTTP gate asks once per request. Each answer is the throttle time Kafka's formula gives:
 * 0 under the quota, -1 when no quota applies to the caller (and when none is configured at all: then the call is
 * one volatile read).
 */
public interface StreamQuota {

  /** Whether any quota is configured: a stream that must work to size what it counts asks this first. */
  boolean active();

  /** A produce message of {@code bytes} read from the caller's socket: one request and its bytes. */
  long produced(RequestContext caller, long bytes);

  /** A frame of records (or a batch of events) of {@code bytes} sent to the caller: one fetch and its bytes. */
  long consumed(RequestContext caller, long bytes);

  /** A message that is a request of its own to Kafka but moves no records (an offset commit): one request. */
  long requested(RequestContext caller);

  /** The listener's extension that implements it; null when the broker has none (no quota component). */
  static StreamQuota of(List<HttpExtension> extensions) {
    return extensions.stream().filter(StreamQuota.class::isInstance).map(StreamQuota.class::cast).findFirst()
        .orElse(null);
  }
}
