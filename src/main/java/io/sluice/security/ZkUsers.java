package io.sluice.security;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.security.ScramCredential.Mechanism;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;

/**
 * Users' credentials written straight to ZooKeeper, without a broker: the bootstrap of the first super user
 * ({@code sluice users}, as Kafka's {@code kafka-configs --zookeeper}). Anyone who can write Sluice's znodes can
 * do this; guard ZooKeeper as the brokers' own store. Blocking.
 */
public final class ZkUsers implements AutoCloseable {
  private final CredentialStore store;

  /** {@code zk}: a started client in Sluice's namespace. Loads the users. */
  public ZkUsers(CuratorFramework zk) throws Exception {
    this.store = new CredentialStore(zk);
    store.start();
  }

  /** Sets the user's credential of {@code mechanism}; true when the user is new. */
  public boolean set(String user, String mechanism, int iterations, String password) throws Exception {
    return ScramAuthentication.set(store, user, ScramAuthentication.validate(user, mechanism, iterations, password),
        iterations, password);
  }

  /** Deletes the user's credential of {@code mechanism}, or all of them when it is null. */
  public void delete(String user, String mechanism) throws Exception {
    Mechanism m = mechanism == null ? null : ScramAuthentication.mechanism(mechanism);
    if (!store.update(user, current -> {
      if (m == null) {
        current.clear();
      } else {
        current.remove(m);
      }
      return current;
    })) {
      throw new SluiceException(ErrorCode.USER_NOT_FOUND, "User '" + user + "' has no credentials");
    }
  }

  /** One line per user: its name and mechanisms with iterations. */
  public List<String> list() {
    List<String> lines = new ArrayList<>();
    store.all().forEach((name, user) -> lines.add(name + " " + user.credentials().values().stream()
        .map(c -> c.mechanism().wireName + "(iterations=" + c.iterations() + ")").toList()));
    return lines;
  }

  @Override
  public void close() {
    store.close();
  }
}
