package io.sluice.broker;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.regex.Pattern;

/** Topic name rules, as Kafka's: 1 to 249 characters of {@code [a-zA-Z0-9._-]}, neither "." nor "..". */
public final class TopicNames {
  public static final int MAX_LENGTH = 249;
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

  private TopicNames() {
  }

  /** @throws SluiceException INVALID_TOPIC_EXCEPTION saying what is wrong with {@code name} */
  public static void validate(String name) {
    if (name == null || name.isEmpty()) {
      throw invalid("Topic name is empty");
    }
    if (name.equals(".") || name.equals("..")) {
      throw invalid("Topic name cannot be '.' or '..'");
    }
    if (name.length() > MAX_LENGTH) {
      throw invalid("Topic name is " + name.length() + " characters long; the limit is " + MAX_LENGTH);
    }
    if (!LEGAL.matcher(name).matches()) {
      throw invalid("Topic name '" + name + "' is illegal: it may contain only ASCII letters, digits, '.', '_'"
          + " and '-'");
    }
  }

  public static boolean isValid(String name) {
    try {
      validate(name);
      return true;
    } catch (SluiceException e) {
      return false;
    }
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_TOPIC_EXCEPTION, message);
  }
}
