package io.sluice.api;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One protocol a member of a member-assigned group supports, in its order of preference: a name (Kafka's consumer
 * protocol: an assignor name such as {@code range}; streams: its task assignor) and the member's metadata for it,
 * opaque to the coordinator (Kafka's consumer protocol: its subscription), which the leader member reads.
 */
public record GroupProtocol(String name, byte[] metadata) implements Serializable {
  public GroupProtocol {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a protocol needs a name");
    }
    metadata = metadata == null ? new byte[0] : metadata.clone();
  }

  @Override
  public byte[] metadata() {
    return metadata.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GroupProtocol p && name.equals(p.name) && Arrays.equals(metadata, p.metadata);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(metadata);
  }

  @Override
  public String toString() {
    return "GroupProtocol[" + name + ", " + metadata.length + " bytes]";
  }
}
