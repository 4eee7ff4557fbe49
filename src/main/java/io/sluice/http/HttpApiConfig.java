package io.sluice.http;

/**
 * Settings of the HTTP API, independent of the broker's own configuration (the broker maps its config onto
 * this record). Every limit here is enforced by the HTTP layer; values are checked on construction.
 *
 * @param host interface to bind, e.g. {@code 0.0.0.0}
 * @param port TCP port; 0 lets the OS pick one (read it back with {@link HttpServerVerticle#actualPort()})
 * @param maxBodyBytes largest request body accepted; larger bodies get 413 REQUEST_TOO_LARGE
 * @param maxConnections open connections allowed across all verticle instances sharing this host and port;
 *     requests on connections beyond it get 503 SERVICE_UNAVAILABLE and the connection is closed
 * @param maxFetchWaitMs upper bound on a fetch's {@code timeout} parameter (long-poll wait)
 * @param maxRecordsPerRequest most records one produce request may carry; more get 413 RECORD_LIST_TOO_LARGE
 * @param defaultFetchWaitMs long-poll wait used when a fetch gives no {@code timeout}
 * @param defaultFetchMaxBytes {@code max_bytes} used when a fetch gives none
 * @param maxFetchBytes upper bound on a fetch's {@code max_bytes}; larger values are lowered to it
 * @param fetchWorkerPoolSize threads of the worker pool that reads fetched file slices and decodes them
 * @param shutdownGraceMs how long undeploying waits for requests in flight (parked fetches included) before it
 *     closes their connections
 * @param wsMaxFrameBytes largest WebSocket frame read; a larger frame closes the socket with close code 1009 (the
 *     codec cannot skip an unread frame); at most {@code wsMaxMessageBytes}
 * @param wsMaxMessageBytes largest WebSocket message (all fragments of it); a larger one is answered with a
 *     REQUEST_TOO_LARGE error message in its place and the socket stays open
 * @param connections per-address limit, idle and request-head timeouts, and the file-descriptor reserve
 */
public record HttpApiConfig(String host, int port, long maxBodyBytes, int maxConnections, long maxFetchWaitMs,
    int maxRecordsPerRequest, long defaultFetchWaitMs, int defaultFetchMaxBytes, int maxFetchBytes,
    int fetchWorkerPoolSize, long shutdownGraceMs, int wsMaxFrameBytes, int wsMaxMessageBytes, ConnectionLimits connections) {

  public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;
  public static final int DEFAULT_MAX_CONNECTIONS = 1024;
  public static final long DEFAULT_MAX_FETCH_WAIT_MS = 30_000;
  public static final int DEFAULT_MAX_RECORDS_PER_REQUEST = 10_000;
  /** Like the REST proxies' consumer request timeout: short enough for a browser, long enough to batch. */
  public static final long DEFAULT_FETCH_WAIT_MS = 1_000;
  public static final int DEFAULT_FETCH_MAX_BYTES = 1024 * 1024;
  public static final int DEFAULT_MAX_FETCH_BYTES = 16 * 1024 * 1024;
  public static final int DEFAULT_FETCH_WORKER_POOL_SIZE = 4;
  public static final long DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
  /** As large as a message: a browser sends every message as one frame. */
  public static final int DEFAULT_WS_MAX_FRAME_BYTES = 1024 * 1024;
  public static final int DEFAULT_WS_MAX_MESSAGE_BYTES = 1024 * 1024;

  public HttpApiConfig {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must be set");
    }
    requireRange("port", port, 0, 65_535);
    requireRange("maxBodyBytes", maxBodyBytes, 1, Long.MAX_VALUE);
    requireRange("maxConnections", maxConnections, 1, Integer.MAX_VALUE);
    requireRange("maxFetchWaitMs", maxFetchWaitMs, 0, Long.MAX_VALUE);
    requireRange("maxRecordsPerRequest", maxRecordsPerRequest, 1, Integer.MAX_VALUE);
    requireRange("defaultFetchWaitMs", defaultFetchWaitMs, 0, maxFetchWaitMs);
    requireRange("maxFetchBytes", maxFetchBytes, 1, Integer.MAX_VALUE);
    requireRange("defaultFetchMaxBytes", defaultFetchMaxBytes, 1, maxFetchBytes);
    requireRange("fetchWorkerPoolSize", fetchWorkerPoolSize, 1, 1_024);
    requireRange("shutdownGraceMs", shutdownGraceMs, 0, Long.MAX_VALUE);
    requireRange("wsMaxMessageBytes", wsMaxMessageBytes, 1, Integer.MAX_VALUE);
    requireRange("wsMaxFrameBytes", wsMaxFrameBytes, 1, wsMaxMessageBytes);
    if (connections == null) {
      throw new IllegalArgumentException("connections must be set");
    }
    long answers = connections.maxInflightAnswerBytes();
    if (answers > 0 && answers < maxFetchBytes) {
      throw new IllegalArgumentException("http.max.inflight.answer.bytes (" + answers + ") is below the largest fetch"
          + " (" + maxFetchBytes + " bytes): the slice of a fetch of the largest size could never be answered whole");
    }
  }

  /** The defaults above, bound to {@code host} and {@code port}. */
  public static HttpApiConfig defaults(String host, int port) {
    return new HttpApiConfig(host, port, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FETCH_WAIT_MS,
        DEFAULT_MAX_RECORDS_PER_REQUEST, DEFAULT_FETCH_WAIT_MS, DEFAULT_FETCH_MAX_BYTES, DEFAULT_MAX_FETCH_BYTES,
        DEFAULT_FETCH_WORKER_POOL_SIZE, DEFAULT_SHUTDOWN_GRACE_MS, DEFAULT_WS_MAX_FRAME_BYTES,
        DEFAULT_WS_MAX_MESSAGE_BYTES, ConnectionLimits.defaults());
  }

  public HttpApiConfig withPort(int newPort) {
    return new HttpApiConfig(host, newPort, maxBodyBytes, maxConnections, maxFetchWaitMs, maxRecordsPerRequest,
        defaultFetchWaitMs, defaultFetchMaxBytes, maxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs, wsMaxFrameBytes,
        wsMaxMessageBytes, connections);
  }

  public HttpApiConfig withMaxBodyBytes(long newMaxBodyBytes) {
    return new HttpApiConfig(host, port, newMaxBodyBytes, maxConnections, maxFetchWaitMs, maxRecordsPerRequest,
        defaultFetchWaitMs, defaultFetchMaxBytes, maxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs, wsMaxFrameBytes,
        wsMaxMessageBytes, connections);
  }

  public HttpApiConfig withMaxConnections(int newMaxConnections) {
    return new HttpApiConfig(host, port, maxBodyBytes, newMaxConnections, maxFetchWaitMs, maxRecordsPerRequest,
        defaultFetchWaitMs, defaultFetchMaxBytes, maxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs, wsMaxFrameBytes,
        wsMaxMessageBytes, connections);
  }

  public HttpApiConfig withMaxRecordsPerRequest(int newMaxRecordsPerRequest) {
    return new HttpApiConfig(host, port, maxBodyBytes, maxConnections, maxFetchWaitMs, newMaxRecordsPerRequest,
        defaultFetchWaitMs, defaultFetchMaxBytes, maxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs, wsMaxFrameBytes,
        wsMaxMessageBytes, connections);
  }

  public HttpApiConfig withFetchWait(long newDefaultFetchWaitMs, long newMaxFetchWaitMs) {
    return new HttpApiConfig(host, port, maxBodyBytes, maxConnections, newMaxFetchWaitMs, maxRecordsPerRequest,
        newDefaultFetchWaitMs, defaultFetchMaxBytes, maxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs, wsMaxFrameBytes,
        wsMaxMessageBytes, connections);
  }

  public HttpApiConfig withFetchBytes(int newDefaultFetchMaxBytes, int newMaxFetchBytes) {
    return new HttpApiConfig(host, port, maxBodyBytes, maxConnections, maxFetchWaitMs, maxRecordsPerRequest,
        defaultFetchWaitMs, newDefaultFetchMaxBytes, newMaxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs,
        wsMaxFrameBytes, wsMaxMessageBytes, connections);
  }

  public HttpApiConfig withWebSocketLimits(int newWsMaxFrameBytes, int newWsMaxMessageBytes) {
    return new HttpApiConfig(host, port, maxBodyBytes, maxConnections, maxFetchWaitMs, maxRecordsPerRequest,
        defaultFetchWaitMs, defaultFetchMaxBytes, maxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs,
        newWsMaxFrameBytes, newWsMaxMessageBytes, connections);
  }

  public HttpApiConfig withConnections(ConnectionLimits newConnections) {
    return new HttpApiConfig(host, port, maxBodyBytes, maxConnections, maxFetchWaitMs, maxRecordsPerRequest,
        defaultFetchWaitMs, defaultFetchMaxBytes, maxFetchBytes, fetchWorkerPoolSize, shutdownGraceMs,
        wsMaxFrameBytes, wsMaxMessageBytes, newConnections);
  }

  private static void requireRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
    }
  }
}
