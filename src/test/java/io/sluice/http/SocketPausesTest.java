package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Handler;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A socket paused for two reasons is resumed only when both have let go, in either order. */
class SocketPausesTest {
  /** Records the calls a session makes on its socket. */
  private static final class Recorded implements ReadStream<Object> {
    final List<String> calls = new ArrayList<>();

    @Override
    public ReadStream<Object> pause() {
      calls.add("pause");
      return this;
    }

    @Override
    public ReadStream<Object> resume() {
      calls.add("resume");
      return this;
    }

    @Override
    public ReadStream<Object> fetch(long amount) {
      return this;
    }

    @Override
    public ReadStream<Object> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public ReadStream<Object> handler(Handler<Object> handler) {
      return this;
    }

    @Override
    public ReadStream<Object> endHandler(Handler<Void> endHandler) {
      return this;
    }
  }

  @Test
  void aThrottleEndingDuringALargeMessagesDecodeDoesNotResumeTheSocket() {
    Recorded socket = new Recorded();
    SocketPauses pauses = new SocketPauses(socket);
    pauses.hold(); // a commit's throttle
    pauses.hold(); // a large message decoding
    pauses.release(); // the throttle time passed
    assertThat(socket.calls).containsExactly("pause");
    pauses.release();
    assertThat(socket.calls).containsExactly("pause", "resume");
  }

  @Test
  void aReleaseWithoutAHoldIsIgnored() {
    Recorded socket = new Recorded();
    SocketPauses pauses = new SocketPauses(socket);
    pauses.release();
    pauses.hold();
    assertThat(socket.calls).containsExactly("pause");
  }
}
