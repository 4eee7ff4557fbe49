package io.sluice.broker;

import io.sluice.storage.MetaProperties;
import java.nio.file.Path;

/**
 * The checks that keep a broker from serving a data directory that is not its own ({@link MetaProperties}): one of
 * another broker id at start, one of another cluster once the cluster id in ZooKeeper is known. A mismatch is
 * refused with {@link ForeignDataDirectoryException}; the directory is never changed by the refusal.
 */
final class DataDirectoryIdentity {
  private DataDirectoryIdentity() {
  }

  /** A data directory of another broker id or another cluster; its files are left as they are. */
  static final class ForeignDataDirectoryException extends IllegalStateException {
    ForeignDataDirectoryException(String message) {
      super(message);
    }
  }

  /**
   * The identity of {@code dataDir}: the one in its {@code meta.properties}, or a fresh one (not written yet) if it
   * has none. Blocks on disk.
   *
   * @throws ForeignDataDirectoryException if the directory belongs to another broker id
   */
  static MetaProperties load(Path dataDir, int brokerId) {
    MetaProperties meta = MetaProperties.read(dataDir).orElseGet(() -> MetaProperties.fresh(brokerId));
    if (meta.brokerId() != brokerId) {
      throw new ForeignDataDirectoryException("Data directory " + dataDir + " belongs to broker " + meta.brokerId()
          + " (" + dataDir.resolve(MetaProperties.FILE_NAME) + "), not to broker " + brokerId + ": start it with"
          + " --broker-id " + meta.brokerId() + ", or give broker " + brokerId + " its own --data-dir");
    }
    return meta;
  }

  /**
   * {@code meta} with the cluster id of the ensemble joined.
   *
   * @throws ForeignDataDirectoryException if the directory already belongs to another cluster
   */
  static MetaProperties joinCluster(MetaProperties meta, Path dataDir, String clusterId, String zookeeper) {
    if (meta.clusterId().isPresent() && !meta.clusterId().get().equals(clusterId)) {
      throw new ForeignDataDirectoryException("Data directory " + dataDir + " belongs to cluster "
          + meta.clusterId().get() + " (" + dataDir.resolve(MetaProperties.FILE_NAME) + "), but ZooKeeper "
          + zookeeper + " holds cluster " + clusterId + ": point zookeeper.connect at that cluster's ensemble, or"
          + " give this broker an empty --data-dir");
    }
    return meta.withClusterId(clusterId);
  }
}
