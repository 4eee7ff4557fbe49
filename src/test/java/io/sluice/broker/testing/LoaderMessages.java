package io.sluice.broker.testing;

import java.text.MessageFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the storage engine's loader ({@code io.sluice.storage.LogLoader}) says while captured, each message formatted:
 * it logs every unclean start and every scan, which the restart tests look for. Registered as an extension
 * ({@code @RegisterExtension final LoaderMessages loader = new LoaderMessages()}), it stops capturing after each
 * test.
 */
public final class LoaderMessages implements AfterEachCallback {
  /** Held: java.util.logging keeps loggers weakly, and a collected one would drop the handler. */
  private static final Logger LOADER = Logger.getLogger("io.sluice.storage.LogLoader");
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      messages.add(MessageFormat.format(r.getMessage(), r.getParameters()));
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  /** Captures from now on. */
  public void capture() {
    LOADER.addHandler(handler);
  }

  public void stop() {
    LOADER.removeHandler(handler);
  }

  /** The messages captured so far, in order. */
  public List<String> messages() {
    return messages;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    stop();
  }
}
