package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.apache.zookeeper.common.PathUtils;
import org.junit.jupiter.api.Test;

/** The owner node names of connectors and tasks: one per unit, and each a valid ZooKeeper node name. */
class SchedulerUnitIdTest {

  @Test
  void everyUnitHasItsOwnNodeEvenWhenANameLooksLikeATask() {
    List<Scheduler.Unit> units = new ArrayList<>();
    for (String name : new String[] {"a", "a.0", "a.0.1", "a%2E0", ".", "..", "a/b", "a b", "é"}) {
      for (int task = -1; task < 2; task++) {
        units.add(new Scheduler.Unit(name, task));
      }
    }
    HashSet<String> ids = new HashSet<>();
    for (Scheduler.Unit u : units) {
      assertThat(ids.add(u.id())).as("%s has the node of another unit: %s", u, u.id()).isTrue();
      assertThatCode(() -> PathUtils.validatePath("/connect/owners/" + u.id())).as(u.toString())
          .doesNotThrowAnyException();
    }
  }
}
