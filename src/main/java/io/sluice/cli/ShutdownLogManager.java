package io.sluice.cli;

import java.util.logging.Handler;
import java.util.logging.LogManager;

/**
 * The JDK's {@link LogManager}, except that its own shutdown hook does not close the handlers: that hook runs
 * alongside the broker's (hooks run concurrently), so at SIGTERM every line the broker's clean shutdown logs was
 * lost, the warnings of abandoned steps included. {@link Main} installs it ({@code java.util.logging.manager}) and
 * flushes the handlers once the broker is closed.
 */
public final class ShutdownLogManager extends LogManager {
  private static final String JDK_CLEANER = LogManager.class.getName() + "$Cleaner";

  @Override
  public void reset() {
    if (Thread.currentThread().getClass().getName().equals(JDK_CLEANER)) {
      return; // the JVM is shutting down: Main's hook flushes after the broker's last words
    }
    super.reset();
  }

  /** Flushes the root handlers (the broker's shutdown logged through them). */
  static void flushHandlers() {
    for (Handler h : LogManager.getLogManager().getLogger("").getHandlers()) {
      h.flush();
    }
  }
}
