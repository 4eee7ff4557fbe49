package io.sluice.broker;

import io.sluice.consumer.ConsumerService;

/** What a running HTTP front end shows its {@link HttpExtension}s: live counts and its local group service. */
public interface FrontEndView {

  /** The group service for the groups this broker coordinates (not routed to other brokers). */
  ConsumerService localGroups();

  /** HTTP connections open now, counted against {@code http.max.connections}. Any thread. */
  int openConnections();

  /** WebSocket sessions (produce and consume) open now. Any thread. */
  int webSocketSessions();

  /** Server-Sent Events streams open now. Any thread. */
  int sseSessions();
}
