package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.ClientOptions;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connector jars in {@code plugin.path}, built by the test: each plugin gets its own class loader, child first, so
 * two plugins may carry different versions of one class, and a plugin's copy of a class wins over the broker's.
 */
class PluginIsolationTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;

  private static final String CONNECTOR = """
      package test.plugin;
      import java.util.*;
      import org.apache.kafka.common.config.ConfigDef;
      import org.apache.kafka.connect.connector.Task;
      import org.apache.kafka.connect.data.Schema;
      import org.apache.kafka.connect.source.*;
      public class EchoSourceConnector extends SourceConnector {
        private Map<String, String> props;
        public void start(Map<String, String> props) { this.props = props; }
        public Class<? extends Task> taskClass() { return EchoTask.class; }
        public List<Map<String, String>> taskConfigs(int max) { return List.of(props); }
        public void stop() { }
        public ConfigDef config() { return new ConfigDef(); }
        public String version() { return "echo-1.0"; }
        public static class EchoTask extends SourceTask {
          private String topic; private boolean done;
          public void start(Map<String, String> props) { topic = props.get("topic"); }
          public List<SourceRecord> poll() throws InterruptedException {
            if (done) { Thread.sleep(50); return null; }
            done = true;
            return List.of(new SourceRecord(Map.of("p", 0), Map.of("o", 1L), topic, Schema.STRING_SCHEMA, Dep.describe()));
          }
          public void stop() { }
          public String version() { return "echo-1.0"; }
        }
      }
      """;

  private static String dep(String who) {
    return "package test.plugin; public class Dep { public static String describe() { return \"" + who + "\"; } }";
  }

  /** A class the broker also has (Kafka's file source task): the plugin's own copy must win inside the plugin. */
  private static final String SHADOW = "package org.apache.kafka.connect.file; public class FileStreamSourceTask {"
      + " public static String who() { return \"plugin copy\"; } }";

  private Path buildPlugin(String name, Map<String, String> sources) throws Exception {
    Path src = Files.createDirectories(dir.resolve("src-" + name));
    List<String> files = new ArrayList<>();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
      Files.createDirectories(f.getParent());
      Files.writeString(f, e.getValue());
      files.add(f.toString());
    }
    Path classes = Files.createDirectories(dir.resolve("classes-" + name));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
        "--release", "17"));
    args.addAll(files);
    assertThat(javac.run(null, null, null, args.toArray(String[]::new))).isZero();
    Path pluginDir = Files.createDirectories(dir.resolve("plugins").resolve(name));
    Path jar = pluginDir.resolve(name + ".jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> all = Files.walk(classes)) {
      for (Path c : all.filter(Files::isRegularFile).toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(c).toString().replace('\\', '/')));
        Files.copy(c, out);
        out.closeEntry();
      }
    }
    return jar;
  }

  private void buildBothPlugins() throws Exception {
    buildPlugin("echo", Map.of("test.plugin.EchoSourceConnector", CONNECTOR, "test.plugin.Dep", dep("from echo"),
        "org.apache.kafka.connect.file.FileStreamSourceTask", SHADOW));
    buildPlugin("other", Map.of("test.plugin.Dep", dep("from other")));
  }

  @Test
  void eachPluginHasItsOwnChildFirstClassLoader() throws Exception {
    buildBothPlugins();
    Plugins plugins = Plugins.discover(List.of(dir.resolve("plugins")));
    Plugins.Plugin echo = plugins.find("EchoSource", Plugins.Kind.SOURCE).orElseThrow();
    assertThat(echo.className()).isEqualTo("test.plugin.EchoSourceConnector");
    assertThat(echo.version()).isEqualTo("echo-1.0");
    assertThat(echo.loader()).isInstanceOf(PluginClassLoader.class);
    assertThat(((PluginClassLoader) echo.loader()).location()).endsWith("echo");
    assertThatThrownBy(() -> Class.forName("test.plugin.Dep", false, getClass().getClassLoader()))
        .isInstanceOf(ClassNotFoundException.class);

    Class<?> echoDep = Class.forName("test.plugin.Dep", true, echo.loader());
    assertThat(echoDep.getMethod("describe").invoke(null)).isEqualTo("from echo");
    ClassLoader otherLoader = new PluginClassLoader("probe", new java.net.URL[] {dir.resolve("plugins/other/other.jar")
        .toUri().toURL()}, getClass().getClassLoader());
    Class<?> otherDep = Class.forName("test.plugin.Dep", true, otherLoader);
    assertThat(otherDep).isNotSameAs(echoDep);
    assertThat(otherDep.getMethod("describe").invoke(null)).isEqualTo("from other");

    Class<?> shadow = Class.forName("org.apache.kafka.connect.file.FileStreamSourceTask", true, echo.loader());
    assertThat(shadow.getMethod("who").invoke(null)).isEqualTo("plugin copy");
    assertThat(Class.forName("org.apache.kafka.connect.source.SourceConnector", false, echo.loader()))
        .as("the connect API is shared with the broker").isSameAs(org.apache.kafka.connect.source.SourceConnector.class);
    // The broker keeps its own FileStream connectors.
    assertThat(plugins.find("FileStreamSource", Plugins.Kind.SOURCE).orElseThrow().loader())
        .isSameAs(Plugins.class.getClassLoader());
  }

  @Test
  void aConnectorFromThePluginPathRunsInTheBroker() throws Exception {
    buildBothPlugins();
    try (ConnectTestSupport connect = new ConnectTestSupport(dir.resolve("data"), GUARD,
        Map.of(BrokerConfig.PLUGIN_PATH, dir.resolve("plugins").toString()))) {
      connect.create("echo", new JsonObject().put("connector.class", "EchoSource").put("topic", "echoes")
          .put("value.converter", "org.apache.kafka.connect.storage.StringConverter"));
      SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:"
          + connect.broker.httpPort()));
      try {
        ConnectTestSupport.await("topic echoes", () -> {
          try {
            client.admin().describeTopic("echoes").await().atMost(Duration.ofSeconds(10));
            return true;
          } catch (RuntimeException e) {
            return false;
          }
        });
        byte[] value = client.partitionReader(ReaderOptions.of("echoes", 0)).records().select().first()
            .collect().first().await().atMost(Duration.ofSeconds(60)).value();
        assertThat(new String(value, StandardCharsets.UTF_8)).isEqualTo("from echo");
      } finally {
        client.close().await().atMost(Duration.ofSeconds(30));
      }
    }
  }
}
