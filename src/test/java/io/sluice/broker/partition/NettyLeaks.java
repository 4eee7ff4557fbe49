package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Netty's leak detector at its paranoid level (every buffer tracked) for one test, failing it if a buffer was
 * collected unreleased. Register it before the extension that closes the Vert.x, so that it checks after the close:
 * {@code @RegisterExtension @Order}, or declared first. Leaks show once the collector found the buffer, so the check
 * collects and allocates a few times; a leak it misses passes, never the other way round.
 */
final class NettyLeaks implements BeforeEachCallback, AfterEachCallback {
  private final List<String> leaks = new CopyOnWriteArrayList<>();
  private ResourceLeakDetector.Level level;

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    level = ResourceLeakDetector.getLevel();
    collectAndReport(); // what earlier tests of this JVM left is theirs
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    detector().setLeakListener((type, records) -> leaks.add(type + ": " + records));
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      collectAndReport();
      assertThat(leaks).as("buffers collected without a release").isEmpty();
    } finally {
      detector().setLeakListener(null);
      ResourceLeakDetector.setLevel(level);
    }
  }

  private static void collectAndReport() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      // the detector reports the collected buffers it tracked when it tracks the next one
      ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(1);
      probe.release();
    }
  }

  @SuppressWarnings("unchecked")
  private static ResourceLeakDetector<ByteBuf> detector() throws ReflectiveOperationException {
    Field f = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
    f.setAccessible(true);
    return (ResourceLeakDetector<ByteBuf>) f.get(null);
  }
}
