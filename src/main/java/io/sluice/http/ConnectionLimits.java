package io.sluice.http;

/**
 * How long and how many HTTP connections may stay open, besides the overall {@link HttpApiConfig#maxConnections()}.
 * Every accepted connection is counted at accept, before it has sent a byte. Values are checked on construction.
 *
 * @param maxConnectionsPerIp open connections one client address may hold; the next is closed at accept
 * @param idleTimeoutMs how long a connection may stay idle before it is closed. An HTTP/1.1 connection is idle
 *     while no request is in flight: a parked long poll or an SSE stream is a request in flight and never idle.
 *     A WebSocket is idle while no frame moves either way; when it has been quiet for half of this the server
 *     pings it, so a live client's pong keeps it open however long it waits for records. An HTTP/2 connection is
 *     idle while no bytes move. Whatever the protocol, a connection whose peer takes none of the bytes waiting
 *     for it for this long is closed too.
 * @param requestHeadTimeoutMs how long a client has to send a complete request head, counted from the accept for
 *     a connection's first request and from the head's first byte for the next ones; past it the connection is
 *     closed (what defeats slowloris)
 * @param minFreeFileDescriptors while fewer file descriptors than this are free in the process, new connections
 *     are closed at accept, so /health, existing connections and the broker's own files keep working
 * @param maxInflightBodyBytes the heap request bodies in flight may hold across the listener's connections
 *     ({@link BodyMemory}); 0 for an eighth of the heap
 * @param maxInflightAnswerBytes the heap answers being built and written may hold across the listener's
 *     connections ({@link AnswerMemory}); 0 for an eighth of the heap
 */
public record ConnectionLimits(int maxConnectionsPerIp, long idleTimeoutMs, long requestHeadTimeoutMs,
    int minFreeFileDescriptors, long maxInflightBodyBytes, long maxInflightAnswerBytes) {

  public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 1_000;
  /** Above a long poll's and an SSE keep-alive's period, like the common proxies' keep-alive timeouts. */
  public static final long DEFAULT_IDLE_TIMEOUT_MS = 60_000;
  public static final long DEFAULT_REQUEST_HEAD_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_MIN_FREE_FILE_DESCRIPTORS = 256;

  public ConnectionLimits {
    requireAtLeast("maxConnectionsPerIp", maxConnectionsPerIp, 1);
    requireAtLeast("idleTimeoutMs", idleTimeoutMs, 1);
    requireAtLeast("requestHeadTimeoutMs", requestHeadTimeoutMs, 1);
    requireAtLeast("minFreeFileDescriptors", minFreeFileDescriptors, 0);
    requireAtLeast("maxInflightBodyBytes", maxInflightBodyBytes, 0);
    requireAtLeast("maxInflightAnswerBytes", maxInflightAnswerBytes, 0);
  }

  /** With the answers' memory at its default, an eighth of the heap. */
  public ConnectionLimits(int maxConnectionsPerIp, long idleTimeoutMs, long requestHeadTimeoutMs,
      int minFreeFileDescriptors, long maxInflightBodyBytes) {
    this(maxConnectionsPerIp, idleTimeoutMs, requestHeadTimeoutMs, minFreeFileDescriptors, maxInflightBodyBytes, 0);
  }

  /** With the request bodies' and answers' memory at their default, an eighth of the heap each. */
  public ConnectionLimits(int maxConnectionsPerIp, long idleTimeoutMs, long requestHeadTimeoutMs,
      int minFreeFileDescriptors) {
    this(maxConnectionsPerIp, idleTimeoutMs, requestHeadTimeoutMs, minFreeFileDescriptors, 0);
  }

  public static ConnectionLimits defaults() {
    return new ConnectionLimits(DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_IDLE_TIMEOUT_MS,
        DEFAULT_REQUEST_HEAD_TIMEOUT_MS, DEFAULT_MIN_FREE_FILE_DESCRIPTORS);
  }

  private static void requireAtLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
    }
  }
}
