package io.sluice.group;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.util.Set;

/**
 * Kafka's DeleteGroups: a group without members is deleted with all its commits, and is no longer listed; a group
 * of that name later starts empty, at generation 0. As Kafka, a group with members is refused (NON_EMPTY_GROUP) and
 * an unknown one is GROUP_ID_NOT_FOUND. Unlike Kafka, a group with consumer instances (REST v2 or WebSocket) is
 * refused too even while none is a member now: the instances are the group's state here (their records live beside
 * its commits), and an instance that polled again would bring the group back under the client's feet. Runs on the
 * coordinator context (through {@link GroupCoordinator#run}).
 */
final class GroupDeletion {
  private final GroupCoordinator coordinator;

  GroupDeletion(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  Future<Void> delete(String groupId) {
    requireKnown(groupId);
    // Settled first, as Kafka deletes only an Empty group: a rebalance running or due writes the group's record,
    // which must not follow the tombstone (the sweep's empty-group record waits for the tombstone: busy).
    return coordinator.rebalanceSettled(groupId).compose(v -> {
      requireKnown(groupId);
      requireEmpty(groupId);
      return coordinator.deleteGroup(groupId);
    });
  }

  private void requireKnown(String groupId) {
    if (!coordinator.groupIds().contains(groupId)) {
      throw new SluiceException(ErrorCode.GROUP_ID_NOT_FOUND, "Group '" + groupId + "' does not exist");
    }
  }

  private void requireEmpty(String groupId) {
    Group g = coordinator.group(groupId);
    if (!g.members().isEmpty()) {
      throw new SluiceException(ErrorCode.NON_EMPTY_GROUP, "Group '" + groupId + "' has " + g.members().size()
          + " active member(s); a group can be deleted only when it has none (nothing was deleted)");
    }
    Set<String> names = coordinator.instanceNames(groupId);
    if (!names.isEmpty()) {
      throw new SluiceException(ErrorCode.NON_EMPTY_GROUP, "Group '" + groupId + "' has consumer instance(s) "
          + names + "; delete them (DELETE /consumers/" + groupId + "/instances/{name}) or let them expire"
          + " (consumer.instance.timeout.ms) first (nothing was deleted)");
    }
  }
}
