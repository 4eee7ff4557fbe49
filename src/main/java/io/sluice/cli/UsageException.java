package io.sluice.cli;

/** The command line is wrong: Main prints the message and the usage, and exits with status 2. */
public class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }
}
