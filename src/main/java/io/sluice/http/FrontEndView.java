package io.sluice.http;

/** What a running HTTP front end shows its {@link HttpExtension}s: its port and live counts. */
public interface FrontEndView {

  /** The port the listener is bound to (clients on this machine reach the API there). */
  int port();

  /** HTTP connections open now, counted against {@code http.max.connections}. Any thread. */
  int openConnections();

  /** WebSocket sessions (produce and consume) open now. Any thread. */
  int webSocketSessions();

  /** Server-Sent Events streams open now. Any thread. */
  int sseSessions();
}
