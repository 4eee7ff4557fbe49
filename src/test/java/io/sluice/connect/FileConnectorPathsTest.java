package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.BrokerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where connect.file.allowed.paths lets Kafka's FileStream connectors read and write, paths resolved as opened. */
class FileConnectorPathsTest {
  private static final String SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector";
  private static final String SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector";

  @TempDir
  Path dir;

  private FileConnectorPaths allowed() throws Exception {
    return new FileConnectorPaths(java.util.List.of(Files.createDirectories(dir.resolve("allowed"))));
  }

  private static Map<String, String> file(Object path) {
    return Map.of("file", path.toString());
  }

  @Test
  void aFileInsideAnAllowedDirectoryMayBeReadOrWrittenAndOthersConnectorsAreNotConcerned() throws Exception {
    Path in = Files.writeString(Files.createDirectories(dir.resolve("allowed/sub")).resolve("in.txt"), "x");
    assertThat(allowed().refusal(SOURCE, file(in))).isNull();
    assertThat(allowed().refusal(SINK, file(dir.resolve("allowed/new.txt")))).as("not made yet").isNull();
    assertThat(allowed().refusal("io.sluice.connect.builtin.LoadGeneratorConnector", file("/etc/passwd"))).isNull();
  }

  @Test
  void aFileOutsideIsRefusedNamingTheFileAndTheSetting() throws Exception {
    assertThat(allowed().refusal(SOURCE, file("/etc/passwd"))).contains("/etc/passwd")
        .contains(BrokerConfig.CONNECT_FILE_ALLOWED_PATHS);
    assertThat(allowed().refusal(SINK, file(dir.resolve("allowed-not/x.txt")))).as("a sibling sharing a prefix")
        .contains(BrokerConfig.CONNECT_FILE_ALLOWED_PATHS);
    assertThat(allowed().refusal(SINK, file(dir.resolve("allowed")))).as("the directory itself").isNotNull();
  }

  @Test
  void dotDotOutOfTheDirectoryIsRefused() throws Exception {
    Files.writeString(dir.resolve("secret.txt"), "s");
    assertThat(allowed().refusal(SOURCE, file(dir.resolve("allowed") + "/../secret.txt"))).isNotNull();
    assertThat(allowed().refusal(SINK, file(dir.resolve("allowed") + "/nope/../../secret.txt"))).isNotNull();
    assertThat(allowed().refusal(SINK, file(dir.resolve("allowed") + "/a/../b.txt"))).as("staying inside").isNull();
  }

  @Test
  void aSymlinkInsidePointingOutIsRefusedAsIsADotDotAfterALink() throws Exception {
    FileConnectorPaths paths = allowed();
    Path secret = Files.writeString(dir.resolve("secret.txt"), "s");
    Path outside = Files.createDirectories(dir.resolve("outside/deep"));
    Files.createSymbolicLink(dir.resolve("allowed/link.txt"), secret);
    Files.createSymbolicLink(dir.resolve("allowed/out"), outside);
    assertThat(paths.refusal(SOURCE, file(dir.resolve("allowed/link.txt")))).contains("secret.txt");
    assertThat(paths.refusal(SINK, file(dir.resolve("allowed/out/new.txt")))).isNotNull();
    // the kernel takes ".." after the link: allowed/out/.. is outside, not allowed/
    assertThat(paths.refusal(SINK, file(dir.resolve("allowed") + "/out/../x.txt"))).isNotNull();
    // a dangling link would make the sink create its target wherever it points
    Files.createSymbolicLink(dir.resolve("allowed/dangling.txt"), dir.resolve("outside/made.txt"));
    assertThat(paths.refusal(SINK, file(dir.resolve("allowed/dangling.txt")))).isNotNull();
  }

  @Test
  void anAllowedDirectoryReachedThroughASymlinkAllowsItsFiles() throws Exception {
    Path real = Files.createDirectories(dir.resolve("real"));
    Path link = Files.createSymbolicLink(dir.resolve("linked"), real);
    FileConnectorPaths paths = new FileConnectorPaths(java.util.List.of(link));
    assertThat(paths.refusal(SINK, file(real.resolve("x.txt")))).isNull();
    assertThat(paths.refusal(SINK, file(link.resolve("x.txt")))).isNull();
  }

  @Test
  void noFileIsRefusedAsTheSourceWouldReadTheBrokersStandardInput() throws Exception {
    assertThat(allowed().refusal(SOURCE, Map.of())).contains(BrokerConfig.CONNECT_FILE_ALLOWED_PATHS);
    assertThat(allowed().refusal(SOURCE, file(" "))).isNotNull();
  }

  @Test
  void theSettingUnsetRefusesEveryFileNamingIt() throws Exception {
    Path in = Files.writeString(dir.resolve("in.txt"), "x");
    for (String unset : new String[] {"", " , "}) {
      assertThat(FileConnectorPaths.parse(unset).refusal(SOURCE, file(in)))
          .contains(BrokerConfig.CONNECT_FILE_ALLOWED_PATHS);
    }
    assertThat(FileConnectorPaths.parse(" " + dir + " ,").refusal(SOURCE, file(in))).isNull();
  }
}
