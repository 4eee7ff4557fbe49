package io.sluice.broker;

import java.lang.System.Logger.Level;
import java.lang.reflect.Field;
import org.apache.curator.framework.CuratorFrameworkFactory;

/**
 * Turns off Curator's simulated session expiry, so that only the ZooKeeper server decides when this broker's session
 * is gone.
 *
 * <p>By default Curator declares the session expired after a session timeout without a server and opens a new one. But
 * the server may still hold the old session: a restarted ZooKeeper (the embedded one of a broker killed and started
 * again) restores sessions from its disk and expires them only a session timeout after it is back. The old session's
 * ephemeral znodes -- this broker's registration, its cluster membership, its event-bus subscriptions -- would then be
 * re-created by the new session while the old ones still exist (vertx-zookeeper writes "create or set") and vanish
 * when the server expires the old session, leaving the broker unregistered and unreachable for good. Without the
 * simulation the client keeps its session: it resumes it when the server comes back with it, or hears from the server
 * that it expired (Curator LOST), after which none of its znodes exists any more. {@code SessionKeeper} fences the
 * broker's partitions after a session timeout without a connection instead.
 *
 * <p>Curator's {@code ConnectionStateManager} documents a percentage of 0 as "don't simulate at all", but its builder
 * refuses 0, so the builder's field is set directly (Curator 5.4; {@code ZkSessionPolicyTest} fails if that breaks).
 */
public final class ZkSessionPolicy {
  private static final System.Logger LOG = System.getLogger(ZkSessionPolicy.class.getName());

  private ZkSessionPolicy() {
  }

  /** {@code builder}, with Curator's simulated session expiry off (logged and left on if that cannot be done). */
  public static CuratorFrameworkFactory.Builder serverDecidesExpiry(CuratorFrameworkFactory.Builder builder) {
    try {
      Field percent = CuratorFrameworkFactory.Builder.class.getDeclaredField("simulatedSessionExpirationPercent");
      percent.setAccessible(true);
      percent.setInt(builder, 0);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.WARNING, "Cannot turn off Curator's simulated session expiry; a restarted ZooKeeper may leave"
          + " this broker unregistered: " + e);
    }
    return builder;
  }
}
