package io.sluice.client;

/**
 * Kafka's {@code ConsumerGroupMetadata} (KIP-447): what a transactional producer passes to
 * {@link Producer#sendOffsetsToTransaction} so the group's coordinator can tell a current member's offsets from a
 * zombie's. With a member id (or a generation of 0 or more) the offsets are fenced as a member's commit is; without
 * both, they are taken as a commit from outside the group would be, except that members may be active.
 *
 * @param memberId the member id, or null when the consumer has none to give
 * @param generationId the generation, or -1
 */
public record GroupMetadata(String groupId, String memberId, int generationId) {
  public GroupMetadata {
    if (groupId == null || groupId.isEmpty()) {
      throw new IllegalArgumentException("groupId must not be empty");
    }
  }

  /** A group's metadata with no member to fence (Kafka's {@code new ConsumerGroupMetadata(groupId)}). */
  public static GroupMetadata of(String groupId) {
    return new GroupMetadata(groupId, null, -1);
  }
}
