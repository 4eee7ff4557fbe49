package io.sluice.api;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;

/**
 * Transactional id rules, checked wherever an id comes in (the transactions API, the binary produce paths' id for
 * KIP-890's verification): 1 to {@value #MAX_LENGTH} characters, neither "." nor "..". Kafka takes any non-empty
 * string; the bound keeps the id a reasonable key and URL segment, and a URL's path normalization removes "." and ".."
 * segments, so no {@code /transactions/{id}/commit} could name such an id and its producer could never end a
 * transaction (group ids refuse them for the same reason: {@link GroupIds}).
 */
public final class TransactionalIds {
  public static final int MAX_LENGTH = 249;

  private TransactionalIds() {
  }

  /** @throws SluiceException INVALID_REQUEST saying what the id must be */
  public static void validate(String transactionalId) {
    if (transactionalId == null || transactionalId.isEmpty() || transactionalId.length() > MAX_LENGTH
        || transactionalId.equals(".") || transactionalId.equals("..")) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "transactional_id must be 1 to " + MAX_LENGTH
          + " characters, and not '.' or '..' (no URL can name those)");
    }
  }
}
