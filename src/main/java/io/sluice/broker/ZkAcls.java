package io.sluice.broker;

import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * The ACLs of every znode Sluice creates with {@code zookeeper.set.acl=true} (Kafka's {@code ZkData.defaultAcls}):
 * all rights for the identities the creating session authenticated as (ZooKeeper's {@code auth} scheme: the broker's
 * {@code x509} certificate subject), and read for everyone on the rest of Sluice's metadata (topics, partition
 * state, brokers, ACLs), so that tools without the brokers' identity can still read it. Sensitive paths get no world
 * rights at all: SCRAM credentials, broker configs (which hold encrypted passwords), and vertx-zookeeper's cluster
 * state under {@code /io.vertx} (its cluster-wide maps and locks carry whatever the services put there).
 *
 * <p>Paths are the full ones, namespace included: Curator hands the provider the path it creates.
 */
public final class ZkAcls implements ACLProvider {
  /** Sluice's namespace, where world may read. */
  static final String SLUICE_ROOT = "/sluice";
  private static final List<String> SENSITIVE = List.of(SLUICE_ROOT + "/config/users", SLUICE_ROOT
      + "/config/brokers");

  @Override
  public List<ACL> getDefaultAcl() {
    return ZooDefs.Ids.CREATOR_ALL_ACL;
  }

  @Override
  public List<ACL> getAclForPath(String path) {
    return secure(path);
  }

  /** The ACLs {@code path} gets when secured. */
  public static List<ACL> secure(String path) {
    if (!readableByWorld(path)) {
      return ZooDefs.Ids.CREATOR_ALL_ACL;
    }
    List<ACL> acls = new ArrayList<>(ZooDefs.Ids.CREATOR_ALL_ACL);
    acls.addAll(ZooDefs.Ids.READ_ACL_UNSAFE);
    return acls;
  }

  /** Whether everyone may read {@code path}: Sluice's metadata except credentials and broker configs. */
  static boolean readableByWorld(String path) {
    if (!(path.equals(SLUICE_ROOT) || path.startsWith(SLUICE_ROOT + "/"))) {
      return false;
    }
    for (String s : SENSITIVE) {
      if (path.equals(s) || path.startsWith(s + "/")) {
        return false;
      }
    }
    return true;
  }
}
