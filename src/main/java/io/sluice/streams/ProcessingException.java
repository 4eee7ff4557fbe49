package io.sluice.streams;

/**
 * One record could not be processed (bad JSON, a missing field, a type error, a division by zero, too many outputs):
 * the record goes to the dead-letter topic, or the task fails with {@code on_error: fail}. Checked, so every step
 * that evaluates decides what a failure means.
 */
public final class ProcessingException extends Exception {
  private final String step;

  public ProcessingException(String step, String message) {
    super(message, null, false, false);
    this.step = step;
  }

  /** The step that failed: "steps[0].filter", "steps[2].branch[1].when", or "key_format"/"value_format". */
  public String step() {
    return step;
  }
}
