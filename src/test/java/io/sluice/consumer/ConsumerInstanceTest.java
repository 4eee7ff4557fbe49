package io.sluice.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.group.GroupConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerInstanceTest {
  private static final int MB = 1 << 20;

  /**
   * What an operation captured is garbage once it is done: the instance's queue kept its last operation's function,
   * so a refused subscription (up to a 16 MiB body's worth of names) stayed on the instance until its next call.
   */
  @Test
  void aDoneOperationsArgumentsAreNotKeptByTheInstance() {
    ConsumerInstance inst = new ConsumerInstance("g", ConsumerConfig.parse(new JsonObject().put("name", "c"),
        GroupConfig.defaults()), 0);
    WeakReference<List<byte[]>> held = refusedWith(inst, List.of(new byte[8 * MB]));
    for (int i = 0; i < 50 && held.get() != null; i++) {
      System.gc();
    }
    assertThat(held.get()).as("the refused operation's argument, after 50 collections").isNull();
  }

  private static WeakReference<List<byte[]>> refusedWith(ConsumerInstance inst, List<byte[]> argument) {
    Future<Void> done = inst.serially(() -> Future.failedFuture(new IllegalStateException("refused: "
        + argument.size())));
    assertThat(done.failed()).isTrue();
    return new WeakReference<>(argument);
  }
}
