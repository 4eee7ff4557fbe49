package io.sluice.config;

/** A configuration value is missing, malformed or out of range; the message names the key and the value. */
public class ConfigException extends RuntimeException {
  private final String key;

  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  public ConfigException(String key, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
  }

  /** The offending key, or null when the problem is not about one key (an unreadable file). */
  public String key() {
    return key;
  }
}
