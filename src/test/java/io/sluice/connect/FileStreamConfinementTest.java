package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.connect.ConnectTestSupport.Reply;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any HTTP client could read any file the broker can read (FileStreamSource of /etc/passwd into a topic) and append
 * to any it can write (FileStreamSink): the file must be inside connect.file.allowed.paths, at create, config
 * update, validate, and again when a task starts.
 */
class FileStreamConfinementTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static Path allowed;
  private static ConnectTestSupport connect;

  @BeforeAll
  static void start() throws Exception {
    allowed = Files.createDirectories(dir.resolve("allowed"));
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of(BrokerConfig.CONNECT_FILE_ALLOWED_PATHS,
        allowed.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    connect.close();
  }

  private static JsonObject source(Object file) {
    JsonObject c = new JsonObject().put("connector.class", "FileStreamSource").put("topic", "leak")
        .put("task.restart.max.attempts", "0");
    return file == null ? c : c.put("file", file.toString());
  }

  private static void assertRefused(Reply r, String... mentions) {
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().getInteger("error_code")).isEqualTo(ErrorCode.INVALID_CONNECTOR_CONFIG.code());
    assertThat(r.json().getString("message")).contains("file: ").contains(BrokerConfig.CONNECT_FILE_ALLOWED_PATHS)
        .contains(mentions);
  }

  @Test
  void etcPasswdIsRefusedAtCreateConfigUpdateAndValidate() throws Exception {
    assertRefused(connect.send("POST", "/connectors", new JsonObject().put("name", "leak")
        .put("config", source("/etc/passwd"))), "/etc/passwd");
    assertRefused(connect.send("PUT", "/connectors/leak/config", source("/etc/passwd")), "/etc/passwd");
    assertThat(connect.get("/connectors/leak").status()).isEqualTo(404);
    assertRefused(connect.send("POST", "/connectors", new JsonObject().put("name", "append").put("config",
        new JsonObject().put("connector.class", "FileStreamSink").put("topics", "t")
            .put("file", dir.resolve("data/.bashrc").toString()))), ".bashrc");

    JsonObject result = connect.send("PUT", "/connector-plugins/FileStreamSource/config/validate",
        source("/etc/passwd").put("name", "leak")).json();
    assertThat(result.getInteger("error_count")).isEqualTo(1);
    JsonObject file = result.getJsonArray("configs").stream().map(JsonObject.class::cast)
        .map(c -> c.getJsonObject("value")).filter(v -> v.getString("name").equals("file")).findFirst().orElseThrow();
    assertThat(file.getJsonArray("errors").getString(0)).contains("/etc/passwd",
        BrokerConfig.CONNECT_FILE_ALLOWED_PATHS);
  }

  @Test
  void dotDotAndSymlinkEscapesAndStandardInputAreRefused() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret.txt"), "s");
    assertRefused(connect.send("POST", "/connectors", new JsonObject().put("name", "dots")
        .put("config", source(allowed + "/../secret.txt"))), "secret.txt");
    Path link = Files.createSymbolicLink(allowed.resolve("link.txt"), secret);
    assertRefused(connect.send("POST", "/connectors", new JsonObject().put("name", "link")
        .put("config", source(link))), "link.txt");
    assertRefused(connect.send("POST", "/connectors", new JsonObject().put("name", "stdin")
        .put("config", source(null))), "A file must be named");
  }

  @Test
  void aTaskWhoseFileBecameASymlinkOutFailsInsteadOfReadingIt() throws Exception {
    Path in = Files.writeString(allowed.resolve("swapped.txt"), "inside\n");
    Reply created = connect.send("POST", "/connectors", new JsonObject().put("name", "swapped")
        .put("initial_state", "STOPPED").put("config", source(in)));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    Files.delete(in);
    Files.createSymbolicLink(in, Files.writeString(dir.resolve("outside.txt"), "secret\n"));

    assertThat(connect.send("PUT", "/connectors/swapped/resume", null).status()).isEqualTo(202);
    connect.awaitState("swapped", 0, "FAILED");
    JsonArray tasks = connect.get("/connectors/swapped/status").json().getJsonArray("tasks");
    assertThat(tasks.getJsonObject(0).getString("trace")).contains("swapped.txt",
        BrokerConfig.CONNECT_FILE_ALLOWED_PATHS);
  }
}
