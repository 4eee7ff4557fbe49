package io.sluice.client;

/**
 * One group of {@link Admin#deleteGroups}: deleted, or why not (Kafka's per-group answer of DeleteGroups).
 *
 * @param failure null when the group was deleted; else a {@link io.sluice.errors.SluiceException} with
 *     NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, INVALID_GROUP_ID, or whatever kept the request from the broker
 */
public record GroupDeletion(String group, Throwable failure) {
  public boolean deleted() {
    return failure == null;
  }
}
