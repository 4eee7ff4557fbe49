package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.security.auth.login.Configuration;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ZooKeeper client's SASL settings: a JAAS section is read, checked and registered per client when the
 * configuration is built, and every mistake is refused naming its key.
 */
class ZooKeeperClientSaslTest {
  static final String DIGEST = ZooKeeperJaas.DIGEST_LOGIN_MODULE;

  @TempDir
  Path dir;

  @Test
  void aClientSectionLogsInAsItsUserUnderANameOfItsOwn() throws IOException {
    Path file = jaas("a.conf", "Client { " + DIGEST + " required username=\"broker\" password=\"p\"; };");
    ZooKeeperClientTls zk = ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, file.toString(),
        ZooKeeperClientTls.SET_ACL, "true"));

    assertThat(zk.sasl().enabled()).isTrue();
    assertThat(zk.describeIdentity()).contains("sasl:broker").contains(file.toString());
    ZKClientConfig client = zk.clientConfig();
    assertThat(client.isSaslClientEnabled()).isTrue();
    String section = client.getProperty(ZKClientConfig.LOGIN_CONTEXT_NAME_KEY);
    assertThat(section).isNotEqualTo("Client");
    assertThat(ZooKeeperJaas.option(Configuration.getConfiguration().getAppConfigurationEntry(section)[0],
        "username")).isEqualTo("broker");
  }

  @Test
  void withoutASectionTheClientDoesNotTrySaslAndSetAclNeedsAnIdentity() throws IOException {
    Path file = jaas("server.conf", "Server { " + DIGEST + " required user_broker=\"p\"; };");
    ZooKeeperClientTls zk = ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, file.toString()));
    assertThat(zk.sasl().enabled()).isFalse();
    assertThat(zk.clientConfig().isSaslClientEnabled()).isFalse();
    assertThatThrownBy(() -> ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, file.toString(),
        ZooKeeperClientTls.SET_ACL, "true")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(ZooKeeperClientSasl.JAAS_CONFIG);
  }

  @Test
  void aSectionAskedForByNameMustExist() throws IOException {
    Path file = jaas("a.conf", "Client { " + DIGEST + " required username=\"broker\" password=\"p\"; };");
    assertThatThrownBy(() -> ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, file.toString(),
        ZooKeeperClientSasl.CLIENT_SECTION, "ZkClient")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("No JAAS section 'ZkClient'")
        .hasMessageContaining(file.toString()).hasMessageContaining(ZooKeeperClientSasl.CLIENT_SECTION);
  }

  @Test
  void anUnknownLoginModuleAMissingFileAndAnIncompleteDigestAreRefusedNamingTheKey() throws IOException {
    Path unknown = jaas("u.conf", "Client { com.example.NoSuchModule required; };");
    assertThatThrownBy(() -> ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, unknown.toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("com.example.NoSuchModule")
        .hasMessageContaining("not on the class path")
        .extracting(e -> ((ConfigException) e).key()).isEqualTo(ZooKeeperClientSasl.JAAS_CONFIG);
    Path missing = dir.resolve("missing.conf");
    assertThatThrownBy(() -> ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, missing.toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining(missing.toString())
        .hasMessageContaining(ZooKeeperClientSasl.JAAS_CONFIG);
    Path noPassword = jaas("n.conf", "Client { " + DIGEST + " required username=\"broker\"; };");
    assertThatThrownBy(() -> ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, noPassword.toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("password");
    Path broken = jaas("b.conf", "Client { " + DIGEST + " required username=");
    assertThatThrownBy(() -> ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, broken.toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining(broken.toString());
  }

  @Test
  void aSectionWithSaslSwitchedOffIsRefusedAsKafkaDoes() throws IOException {
    Path file = jaas("a.conf", "Client { " + DIGEST + " required username=\"broker\" password=\"p\"; };");
    assertThatThrownBy(() -> ZooKeeperClientTls.of(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, file.toString(),
        ZooKeeperClientSasl.CLIENT_ENABLE, "false")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(ZooKeeperClientSasl.CLIENT_ENABLE);
  }

  @Test
  void theJvmsJaasFileIsReadWhenNoFileIsConfigured() throws IOException {
    Path file = jaas("jvm.conf", "Client { " + DIGEST + " required username=\"jvm-user\" password=\"p\"; };");
    String before = System.getProperty(ZooKeeperJaas.FILE_PROPERTY);
    System.setProperty(ZooKeeperJaas.FILE_PROPERTY, file.toString());
    try {
      ZooKeeperClientTls zk = ZooKeeperClientTls.of(Map.of());
      assertThat(zk.sasl().user()).isEqualTo("jvm-user");
      assertThat(zk.describeIdentity()).contains("-D" + ZooKeeperJaas.FILE_PROPERTY);
    } finally {
      if (before == null) {
        System.clearProperty(ZooKeeperJaas.FILE_PROPERTY);
      } else {
        System.setProperty(ZooKeeperJaas.FILE_PROPERTY, before);
      }
      Configuration.getConfiguration().refresh(); // the JVM's configuration may have loaded the file meanwhile
    }
    assertThat(ZooKeeperClientTls.of(Map.of()).sasl().enabled()).isFalse();
  }

  private Path jaas(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text + "\n");
  }
}
