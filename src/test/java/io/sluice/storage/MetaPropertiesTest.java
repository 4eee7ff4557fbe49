package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetaPropertiesTest {
  @TempDir
  Path dir;

  @Test
  void directoryWithoutTheFileHasNoIdentity() {
    assertThat(MetaProperties.read(dir)).isEmpty();
  }

  @Test
  void writtenIdentityReadsBackEqual() {
    MetaProperties meta = MetaProperties.fresh(7).withClusterId("cluster-a");
    meta.write(dir);

    assertThat(MetaProperties.read(dir)).contains(meta);
    assertThat(meta.version()).isEqualTo(MetaProperties.CURRENT_VERSION);
    assertThat(dir.resolve("meta.properties.tmp")).doesNotExist();
  }

  @Test
  void identityWithoutClusterIdReadsBackWithoutOne() {
    MetaProperties meta = MetaProperties.fresh(3);
    meta.write(dir);

    assertThat(MetaProperties.read(dir).orElseThrow().clusterId()).isEmpty();
  }

  @Test
  void freshIdentitiesGetDistinctDirectoryIds() {
    assertThat(MetaProperties.fresh(1).directoryId()).isNotEqualTo(MetaProperties.fresh(1).directoryId());
  }

  @Test
  void rewriteReplacesTheWholeFile() {
    MetaProperties first = MetaProperties.fresh(1);
    first.write(dir);
    MetaProperties second = first.withClusterId("cluster-b");
    second.write(dir);

    assertThat(MetaProperties.read(dir)).contains(second);
  }

  /** The format as a user or Kafka tooling sees it: plain key=value lines. */
  @Test
  void readsAHandWrittenFile() throws Exception {
    Files.writeString(dir.resolve("meta.properties"), "# comment\nversion=1\ncluster.id=abc\nbroker.id=4\n"
        + "directory.id=d-1\n", StandardCharsets.ISO_8859_1);

    assertThat(MetaProperties.read(dir)).contains(new MetaProperties(1, Optional.of("abc"), 4, "d-1"));
  }

  @Test
  void leftoverTemporaryFileFromACrashedWriteIsIgnored() throws Exception {
    MetaProperties meta = MetaProperties.fresh(2);
    meta.write(dir);
    Files.writeString(dir.resolve("meta.properties.tmp"), "version=1\nbroker.id=9\n");

    assertThat(MetaProperties.read(dir)).contains(meta);
    MetaProperties next = meta.withClusterId("c");
    next.write(dir);
    assertThat(MetaProperties.read(dir)).contains(next);
  }

  @Test
  void unknownVersionIsRefused() throws Exception {
    Files.writeString(dir.resolve("meta.properties"), "version=2\nbroker.id=1\ndirectory.id=d\n");

    assertThatThrownBy(() -> MetaProperties.read(dir)).isInstanceOf(MetaProperties.InvalidMetaPropertiesException.class)
        .hasMessageContaining("meta.properties").hasMessageContaining("version 2");
  }

  @Test
  void missingBrokerIdIsRefused() throws Exception {
    Files.writeString(dir.resolve("meta.properties"), "version=1\ndirectory.id=d\n");

    assertThatThrownBy(() -> MetaProperties.read(dir)).isInstanceOf(MetaProperties.InvalidMetaPropertiesException.class)
        .hasMessageContaining("has no broker.id");
  }

  @Test
  void nonNumericBrokerIdIsRefused() throws Exception {
    Files.writeString(dir.resolve("meta.properties"), "version=1\nbroker.id=one\ndirectory.id=d\n");

    assertThatThrownBy(() -> MetaProperties.read(dir)).isInstanceOf(MetaProperties.InvalidMetaPropertiesException.class)
        .hasMessageContaining("broker.id=one, not an integer");
  }

  @Test
  void missingDirectoryIdIsRefused() throws Exception {
    Files.writeString(dir.resolve("meta.properties"), "version=1\nbroker.id=1\n");

    assertThatThrownBy(() -> MetaProperties.read(dir)).isInstanceOf(MetaProperties.InvalidMetaPropertiesException.class)
        .hasMessageContaining("has no directory.id");
  }

  @Test
  void malformedEscapeIsRefused() throws Exception {
    Files.writeString(dir.resolve("meta.properties"), "version=1\nbroker.id=1\ndirectory.id=\\u12\n");

    assertThatThrownBy(() -> MetaProperties.read(dir)).isInstanceOf(MetaProperties.InvalidMetaPropertiesException.class)
        .hasMessageContaining("not a properties file");
  }
}
