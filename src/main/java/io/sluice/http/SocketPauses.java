package io.sluice.http;

import io.vertx.core.streams.ReadStream;

/**
 * The reasons a socket is not read (a quota's throttle, a large message decoding on a worker), counted: it is paused
 * while any holds and resumed when the last lets go, so that one reason never resumes another's pause. Event-loop
 * confined (the socket's context).
 */
final class SocketPauses {
  private final ReadStream<?> socket;
  private int holds;

  SocketPauses(ReadStream<?> socket) {
    this.socket = socket;
  }

  void hold() {
    if (holds++ == 0) {
      socket.pause();
    }
  }

  void release() {
    if (holds > 0 && --holds == 0) {
      socket.resume();
    }
  }
}
