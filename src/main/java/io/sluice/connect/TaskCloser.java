package io.sluice.connect;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What one execution of a task has built (its plugin metrics, converters, transformations, predicates, producer or
 * consumer), closed in the reverse order of building when the execution ends, on every path: a task failing after
 * its converters were built but before it ran (its task class, its offsets' catch-up, its ledger) left them open and
 * their plugin metrics on {@code /metrics}. Used by the task's own thread.
 */
final class TaskCloser implements AutoCloseable {
  private final Deque<AutoCloseable> built = new ArrayDeque<>();

  /** {@code resource}, to be closed with the execution. */
  <T extends AutoCloseable> T add(T resource) {
    built.push(resource);
    return resource;
  }

  /** Closes everything, each even if another failed; then throws the first failure, the others suppressed by it. */
  @Override
  public void close() throws Exception {
    Exception first = null;
    while (!built.isEmpty()) {
      try {
        built.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
