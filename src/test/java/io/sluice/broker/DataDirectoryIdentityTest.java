package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.storage.MetaProperties;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryIdentityTest {
  @TempDir
  Path dir;

  @Test
  void newDirectoryGetsAFreshIdentityThatIsNotWrittenYet() {
    MetaProperties meta = DataDirectoryIdentity.load(dir, 3);

    assertThat(meta.brokerId()).isEqualTo(3);
    assertThat(meta.clusterId()).isEmpty();
    assertThat(MetaProperties.read(dir)).isEmpty();
  }

  @Test
  void directoryOfThisBrokerKeepsItsIdentity() {
    MetaProperties stamped = MetaProperties.fresh(3).withClusterId("c");
    stamped.write(dir);

    assertThat(DataDirectoryIdentity.load(dir, 3)).isEqualTo(stamped);
  }

  @Test
  void directoryOfAnotherBrokerIdIsRefused() {
    MetaProperties.fresh(2).write(dir);

    assertThatThrownBy(() -> DataDirectoryIdentity.load(dir, 5))
        .isInstanceOf(DataDirectoryIdentity.ForeignDataDirectoryException.class)
        .hasMessageContaining("belongs to broker 2").hasMessageContaining("not to broker 5");
  }

  @Test
  void directoryOfAnotherClusterIsRefused() {
    MetaProperties meta = MetaProperties.fresh(1).withClusterId("old");

    assertThatThrownBy(() -> DataDirectoryIdentity.joinCluster(meta, dir, "new", "127.0.0.1:2181"))
        .isInstanceOf(DataDirectoryIdentity.ForeignDataDirectoryException.class)
        .hasMessageContaining("belongs to cluster old").hasMessageContaining("127.0.0.1:2181 holds cluster new");
  }

  @Test
  void directoryOfNoClusterYetJoinsTheOneInZooKeeper() {
    MetaProperties meta = MetaProperties.fresh(1);

    assertThat(DataDirectoryIdentity.joinCluster(meta, dir, "new", "zk").clusterId()).contains("new");
    assertThat(DataDirectoryIdentity.joinCluster(meta.withClusterId("new"), dir, "new", "zk").clusterId())
        .contains("new");
  }
}
