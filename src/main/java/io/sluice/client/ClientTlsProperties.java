package io.sluice.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyStoreOptionsBase;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.util.Locale;
import java.util.Map;

/**
 * Kafka's client {@code ssl.*} properties mapped onto a {@link ClientOptions}' Vert.x TLS options. Stores are named by
 * path and read when the client is created; a wrong one fails the client's creation there. Stateless.
 */
final class ClientTlsProperties {
  private ClientTlsProperties() {
  }

  static void apply(ClientOptions options, Map<String, String> p) {
    String trustType = type(p, "ssl.truststore.type");
    String trustLocation = p.getOrDefault("ssl.truststore.location", "");
    String trustInline = p.getOrDefault("ssl.truststore.certificates", "");
    if (trustType.equals("PEM") && !trustInline.isBlank()) {
      options.trustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(trustInline)));
    } else if (trustType.equals("PEM") && !trustLocation.isBlank()) {
      options.trustOptions(new PemTrustOptions().addCertPath(trustLocation));
    } else if (!trustLocation.isBlank()) {
      options.trustOptions(store(trustType, trustLocation, p.get("ssl.truststore.password")));
    }
    String keyType = type(p, "ssl.keystore.type");
    String keyLocation = p.getOrDefault("ssl.keystore.location", "");
    if (keyType.equals("PEM") && !p.getOrDefault("ssl.keystore.key", "").isBlank()) {
      options.keyCertOptions(new PemKeyCertOptions().setKeyValue(Buffer.buffer(p.get("ssl.keystore.key")))
          .setCertValue(Buffer.buffer(p.getOrDefault("ssl.keystore.certificate.chain", ""))));
    } else if (keyType.equals("PEM") && !keyLocation.isBlank()) {
      // Kafka's PEM key store file holds the key and its chain; Vert.x picks each out of the same file.
      options.keyCertOptions(new PemKeyCertOptions().setKeyPath(keyLocation).setCertPath(keyLocation));
    } else if (!keyLocation.isBlank()) {
      KeyStoreOptionsBase store = store(keyType, keyLocation, p.get("ssl.keystore.password"));
      String keyPassword = p.get("ssl.key.password");
      options.keyCertOptions(keyPassword == null || keyPassword.isEmpty() ? store : store.setAliasPassword(keyPassword));
    }
    String algorithm = p.get("ssl.endpoint.identification.algorithm");
    if (algorithm != null) {
      options.verifyHostname(!algorithm.isBlank());
    }
  }

  private static KeyStoreOptionsBase store(String type, String path, String password) {
    KeyStoreOptionsBase store = type.equals("JKS") ? new JksOptions() : new PfxOptions();
    return store.setPath(path).setPassword(password == null || password.isEmpty() ? null : password);
  }

  private static String type(Map<String, String> p, String key) {
    String type = p.getOrDefault(key, "PKCS12").trim().toUpperCase(Locale.ROOT);
    if (!type.equals("PKCS12") && !type.equals("JKS") && !type.equals("PEM")) {
      throw new IllegalArgumentException(key + " must be PKCS12, JKS or PEM, got " + p.get(key));
    }
    return type;
  }
}
