package io.sluice.api;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.regex.Pattern;

/**
 * Group id rules: 1 to 249 characters of {@code [a-zA-Z0-9._-]}, neither "." nor "..", as Kafka names topics (Kafka
 * itself only refuses an empty group id). A path segment "." or ".." is removed when a URI is normalized, so a group
 * so named could be made over WebSocket or SSE but never addressed by a URL. A group id appears in URI paths ({@code /consumers/{group}/instances/...}) and in the keys of
 * {@code __consumer_offsets}; the narrow alphabet keeps every such URI and log line unambiguous. Checked wherever a
 * group comes into being: creating a consumer instance (HTTP, WebSocket, the client through HTTP).
 */
public final class GroupIds {
  public static final int MAX_LENGTH = 249;
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

  private GroupIds() {
  }

  /** @throws SluiceException INVALID_GROUP_ID saying what is wrong with {@code group} */
  public static void validate(String group) {
    if (group == null || group.isEmpty()) {
      throw invalid("Group id is empty");
    }
    if (group.equals(".") || group.equals("..")) {
      throw invalid("Group id cannot be '.' or '..': no URL can name such a group");
    }
    if (group.length() > MAX_LENGTH) {
      throw invalid("Group id is " + group.length() + " characters long; the limit is " + MAX_LENGTH);
    }
    if (!LEGAL.matcher(group).matches()) {
      throw invalid("Group id '" + group + "' is illegal: it may contain only ASCII letters, digits, '.', '_' and"
          + " '-'");
    }
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_GROUP_ID, message);
  }
}
