package io.sluice.config;

import static io.sluice.config.ConfigKey.boolKey;
import static io.sluice.config.ConfigKey.stringKey;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptionsBase;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.TCPSSLOptions;
import io.vertx.core.net.TrustOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The broker's TLS settings, under Kafka's {@code ssl.*} names: one key store (the broker's certificate and key) and
 * one trust store (the CAs whose certificates it accepts from clients and other brokers), used by the HTTP listener
 * when {@value #HTTP_SSL_ENABLE} and by the event bus and replica links when {@value #INTER_BROKER_PROTOCOL} is
 * {@code SSL}.
 *
 * <p>Stores are read once, when the configuration is built, into Vert.x options holding the bytes: a store that is
 * missing, unreadable, of the wrong type or whose password is wrong is refused then, naming the key. Immutable: a
 * rotation (Kafka's dynamic {@code listener.name.<l>.ssl.*} update) builds another one and hands it to the
 * {@link ListenerTls} of {@link #HTTP_LISTENER} or {@link #BROKER_LISTENER}, which the servers follow.
 */
public final class SslConfig {
  public static final String HTTP_SSL_ENABLE = "http.ssl.enable";
  public static final String INTER_BROKER_PROTOCOL = "security.inter.broker.protocol";
  public static final String KEYSTORE_TYPE = "ssl.keystore.type";
  public static final String KEYSTORE_LOCATION = "ssl.keystore.location";
  public static final String KEYSTORE_PASSWORD = "ssl.keystore.password";
  public static final String KEY_PASSWORD = "ssl.key.password";
  public static final String KEYSTORE_CERTIFICATE_CHAIN = "ssl.keystore.certificate.chain";
  public static final String KEYSTORE_KEY = "ssl.keystore.key";
  public static final String TRUSTSTORE_TYPE = "ssl.truststore.type";
  public static final String TRUSTSTORE_LOCATION = "ssl.truststore.location";
  public static final String TRUSTSTORE_PASSWORD = "ssl.truststore.password";
  public static final String TRUSTSTORE_CERTIFICATES = "ssl.truststore.certificates";
  public static final String CLIENT_AUTH = "ssl.client.auth";
  public static final String ENABLED_PROTOCOLS = "ssl.enabled.protocols";
  public static final String PASSWORD_ENCODER_SECRET = "password.encoder.secret";
  public static final String ALLOW_DN_CHANGES = "ssl.allow.dn.changes";
  public static final String ALLOW_SAN_CHANGES = "ssl.allow.san.changes";
  /** The HTTP listener's name in {@code listener.name.<l>.ssl.*}. */
  public static final String HTTP_LISTENER = "http";
  /** The inter-broker listener's name (the event bus and replica links). */
  public static final String BROKER_LISTENER = "broker";
  public static final List<String> LISTENERS = List.of(HTTP_LISTENER, BROKER_LISTENER);
  /** The keys a listener's stores can be rotated by at run time (Kafka's dynamic SSL keystore update, KIP-226). */
  public static final List<String> RELOADABLE = List.of(KEYSTORE_TYPE, KEYSTORE_LOCATION, KEYSTORE_PASSWORD,
      KEY_PASSWORD, KEYSTORE_CERTIFICATE_CHAIN, KEYSTORE_KEY, TRUSTSTORE_TYPE, TRUSTSTORE_LOCATION,
      TRUSTSTORE_PASSWORD, TRUSTSTORE_CERTIFICATES);
  /** What a rotation may change in the certificate (Kafka 3.0's rules): per listener, statically or dynamically. */
  public static final List<String> ROTATION_RULES = List.of(ALLOW_DN_CHANGES, ALLOW_SAN_CHANGES);
  /**
   * Kafka's PASSWORD-typed keys among {@link #RELOADABLE}: described without their value and encrypted in ZooKeeper
   * (an inline private key is a secret; Kafka treats the inline chain and trusted certificates the same way).
   */
  public static final Set<String> SENSITIVE = Set.of(KEYSTORE_PASSWORD, KEY_PASSWORD, TRUSTSTORE_PASSWORD,
      KEYSTORE_KEY, KEYSTORE_CERTIFICATE_CHAIN, TRUSTSTORE_CERTIFICATES);

  static final List<ConfigKey> KEYS = List.of(
      boolKey(HTTP_SSL_ENABLE, false, "serve the HTTP listener (REST, WebSocket, SSE, the dashboard) over TLS only,"
          + " with the ssl.keystore.* certificate"),
      stringKey(INTER_BROKER_PROTOCOL, "PLAINTEXT", "PLAINTEXT or SSL: SSL runs the event bus and replica links"
          + " between brokers over TLS, each side presenting the ssl.keystore.* certificate and trusting only"
          + " ssl.truststore.* (every broker of a cluster must agree)"),
      stringKey(KEYSTORE_TYPE, "PKCS12", "PKCS12, JKS or PEM"),
      stringKey(KEYSTORE_LOCATION, "", "the key store file (PEM: a file with the private key and its certificate"
          + " chain)"),
      stringKey(KEYSTORE_PASSWORD, "", "the key store's password (PKCS12, JKS)"),
      stringKey(KEY_PASSWORD, "", "the private key's password when it differs from the store's (PKCS12, JKS)"),
      stringKey(KEYSTORE_CERTIFICATE_CHAIN, "", "PEM only, in place of ssl.keystore.location: the certificate chain"
          + " itself"),
      stringKey(KEYSTORE_KEY, "", "PEM only, in place of ssl.keystore.location: the (unencrypted PKCS#8) private"
          + " key itself"),
      stringKey(TRUSTSTORE_TYPE, "PKCS12", "PKCS12, JKS or PEM"),
      stringKey(TRUSTSTORE_LOCATION, "", "the trust store file (PEM: one or more certificates)"),
      stringKey(TRUSTSTORE_PASSWORD, "", "the trust store's password (PKCS12, JKS)"),
      stringKey(TRUSTSTORE_CERTIFICATES, "", "PEM only, in place of ssl.truststore.location: the certificates"
          + " themselves"),
      stringKey(CLIENT_AUTH, "none", "HTTP clients' certificates: none, requested or required; a client's principal"
          + " is then User:<its certificate's subject DN>"),
      stringKey(ENABLED_PROTOCOLS, "TLSv1.2,TLSv1.3", "the TLS versions the broker speaks"),
      stringKey(PASSWORD_ENCODER_SECRET, "", "the secret that encrypts the passwords and inline PEM values of"
          + " listener.name.<l>.ssl.* updates before they are stored in ZooKeeper; without it such an update may carry"
          + " none"),
      boolKey(ALLOW_DN_CHANGES, false, "whether a rotation of a listener's key store may change the certificate's"
          + " subject DN (listener.name.<l>.ssl.allow.dn.changes for one listener)"),
      boolKey(ALLOW_SAN_CHANGES, false, "whether a rotation of a listener's key store may drop a subject alternative"
          + " name of the old certificate (listener.name.<l>.ssl.allow.san.changes for one listener)"),
      perListener(HTTP_LISTENER, ALLOW_DN_CHANGES), perListener(HTTP_LISTENER, ALLOW_SAN_CHANGES),
      perListener(BROKER_LISTENER, ALLOW_DN_CHANGES), perListener(BROKER_LISTENER, ALLOW_SAN_CHANGES));

  private static final Pattern PEM_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----[^-]+-----END \\1-----", Pattern.DOTALL);

  private final boolean http;
  private final boolean interBroker;
  private final ClientAuth clientAuth;
  private final Set<String> protocols;
  private final KeyCertOptions keyCert;
  private final TrustOptions trust;
  private final Map<String, ListenerTls> listeners;
  /** Per listener: which of {@link #ROTATION_RULES} it allows. */
  private final Map<String, Set<String>> allowed;

  SslConfig(BrokerConfig config) {
    http = config.getBoolean(HTTP_SSL_ENABLE);
    interBroker = interBroker(config.getString(INTER_BROKER_PROTOCOL));
    clientAuth = clientAuth(config.getString(CLIENT_AUTH));
    protocols = protocols(config.getString(ENABLED_PROTOCOLS));
    storeType(config, KEYSTORE_TYPE);
    storeType(config, TRUSTSTORE_TYPE);
    if (http || interBroker) {
      warmUpDefaultCipherSuites();
    }
    keyCert = http || interBroker ? keyCert(config) : null;
    trust = http || interBroker ? trust(config) : null;
    if (interBroker && trust == null) {
      throw new ConfigException(TRUSTSTORE_LOCATION, INTER_BROKER_PROTOCOL + "=SSL needs a trust store ("
          + TRUSTSTORE_LOCATION + " or " + TRUSTSTORE_CERTIFICATES + "): brokers accept only peers it vouches for");
    }
    if (http && clientAuth != ClientAuth.NONE && trust == null) {
      throw new ConfigException(CLIENT_AUTH, CLIENT_AUTH + "=" + config.getString(CLIENT_AUTH) + " needs a trust"
          + " store (" + TRUSTSTORE_LOCATION + " or " + TRUSTSTORE_CERTIFICATES + ") to check clients' certificates");
    }
    listeners = Map.of(HTTP_LISTENER, new ListenerTls(HTTP_LISTENER, this),
        BROKER_LISTENER, new ListenerTls(BROKER_LISTENER, this));
    allowed = Map.of(HTTP_LISTENER, allowed(config, HTTP_LISTENER), BROKER_LISTENER, allowed(config, BROKER_LISTENER));
  }

  /** {@code key} for one listener only: {@code listener.name.<listener>.<key>}. */
  public static String listenerKey(String listener, String key) {
    return "listener.name." + listener + "." + key;
  }

  /** A rule for one listener: unset, the unprefixed key's value holds (as Kafka's listener prefix). */
  private static ConfigKey perListener(String listener, String rule) {
    return new ConfigKey(listenerKey(listener, rule), ConfigKey.Type.BOOLEAN, null, 0, 0, rule + " for the "
        + listener + " listener only (unset: " + rule + ")");
  }

  private static Set<String> allowed(BrokerConfig config, String listener) {
    Set<String> out = new java.util.HashSet<>();
    for (String rule : ROTATION_RULES) {
      Object own = config.known(listenerKey(listener, rule));
      if (own != null ? (Boolean) own : config.getBoolean(rule)) {
        out.add(rule);
      }
    }
    return Set.copyOf(out);
  }

  /** The listener {@code name} ({@link #HTTP_LISTENER}, {@link #BROKER_LISTENER}): its stores as rotated. */
  public ListenerTls listener(String name) {
    ListenerTls l = listeners.get(name);
    if (l == null) {
      throw new IllegalArgumentException("No TLS listener " + name + "; known: " + listeners.keySet());
    }
    return l;
  }

  /** Whether the listener {@code name} serves TLS at all. */
  public boolean serves(String name) {
    return name.equals(HTTP_LISTENER) ? http : name.equals(BROKER_LISTENER) && interBroker;
  }

  /**
   * Refuses a rotation of {@code listener} from {@code old} to this as Kafka does: unless this config allows it
   * ({@value #ALLOW_DN_CHANGES}, {@value #ALLOW_SAN_CHANGES}, per listener), the key store's certificate keeps its
   * subject DN and every subject alternative name (clients that check the host name would otherwise stop
   * connecting); on {@link #BROKER_LISTENER} (where each side checks the other) the trust store vouches for the new
   * certificate chain both as a client's and as a server's, as Kafka's handshake check of an inter-broker update.
   */
  public void requireCompatible(SslConfig old, String listener) {
    Set<String> rules = allowed.get(listener);
    try {
      X509Certificate[] chain = chain(keyCert);
      X509Certificate was = chain(old.keyCert)[0];
      X509Certificate now = chain[0];
      if (!rules.contains(ALLOW_DN_CHANGES) && !now.getSubjectX500Principal().equals(was.getSubjectX500Principal())) {
        throw new ConfigException(listenerKey(listener, ALLOW_DN_CHANGES), "Keystore DistinguishedName does not"
            + " match: existing " + was.getSubjectX500Principal() + ", new " + now.getSubjectX500Principal()
            + " (set " + listenerKey(listener, ALLOW_DN_CHANGES) + "=true to allow it)");
      }
      Set<List<?>> wasNames = altNames(was);
      if (!rules.contains(ALLOW_SAN_CHANGES) && !altNames(now).containsAll(wasNames)) {
        throw new ConfigException(listenerKey(listener, ALLOW_SAN_CHANGES), "Keystore SubjectAltNames do not match:"
            + " existing " + wasNames + ", new " + altNames(now) + " (the new certificate must keep every name of the"
            + " old one, or set " + listenerKey(listener, ALLOW_SAN_CHANGES) + "=true to allow it)");
      }
      if (listener.equals(BROKER_LISTENER) && trust != null) {
        requireTrusted(chain);
      }
    } catch (ConfigException e) {
      throw e;
    } catch (Exception e) {
      throw new ConfigException(KEYSTORE_LOCATION, "Cannot read the key store's certificate: " + e, e);
    }
  }

  private void requireTrusted(X509Certificate[] chain) throws Exception {
    TrustManagerFactory factory = trustManagers();
    String authType = chain[0].getPublicKey().getAlgorithm();
    for (TrustManager m : factory.getTrustManagers()) {
      if (m instanceof X509TrustManager x509) {
        try {
          x509.checkServerTrusted(chain, authType);
          x509.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
          throw new ConfigException(TRUSTSTORE_LOCATION, "The trust store does not vouch for the key store's"
              + " certificate " + chain[0].getSubjectX500Principal() + ", so the other brokers would refuse it: "
              + e.getMessage(), e);
        }
      }
    }
  }

  /** The trust store's managers; a PEM one built here, as Vert.x's own loading of PEM wants a Vert.x instance. */
  private TrustManagerFactory trustManagers() throws Exception {
    if (!(trust instanceof PemTrustOptions pem)) {
      return trust.getTrustManagerFactory(null);
    }
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    int n = 0;
    for (Buffer value : pem.getCertValues()) {
      for (java.security.cert.Certificate c : x509.generateCertificates(new ByteArrayInputStream(value.getBytes()))) {
        store.setCertificateEntry("ca-" + n++, c);
      }
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory;
  }

  /** The certificate chain of the key store's first key. */
  private static X509Certificate[] chain(KeyCertOptions options) throws Exception {
    if (options instanceof PemKeyCertOptions pem) {
      // Vert.x's own loading of a PEM pair wants a Vert.x instance; the chain is in the value, as pemKeyCert put it.
      return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
          pem.getCertValues().get(0).getBytes())).toArray(new X509Certificate[0]);
    }
    KeyStore store = ((KeyStoreOptionsBase) options).loadKeyStore(null);
    for (String alias : Collections.list(store.aliases())) {
      if (store.isKeyEntry(alias)) {
        java.security.cert.Certificate[] certs = store.getCertificateChain(alias);
        return java.util.Arrays.copyOf(certs, certs.length, X509Certificate[].class);
      }
    }
    throw new IllegalArgumentException("no private key in it");
  }

  private static Set<List<?>> altNames(X509Certificate cert) throws CertificateParsingException {
    var names = cert.getSubjectAlternativeNames();
    return names == null ? Set.of() : new java.util.HashSet<>(names);
  }

  /** Whether the HTTP listener serves TLS only. */
  public boolean http() {
    return http;
  }

  /** Whether the event bus and replica links run over mutually authenticated TLS. */
  public boolean interBroker() {
    return interBroker;
  }

  public ClientAuth clientAuth() {
    return clientAuth;
  }

  /**
   * Sets TLS on {@code options} (a server's, a client's or the event bus's): this broker's certificate, the trust
   * store and the protocols. Only when {@link #http} or {@link #interBroker}.
   */
  public <T extends TCPSSLOptions> T apply(T options) {
    options.setSsl(true).setKeyCertOptions(keyCert.copy()).setEnabledSecureTransportProtocols(protocols);
    if (trust != null) {
      options.setTrustOptions(trust.copy());
    }
    return options;
  }

  /** This broker's certificate and key (a copy), for its own clients of a TLS listener; null when TLS is off. */
  public KeyCertOptions keyCertOptions() {
    return keyCert == null ? null : keyCert.copy();
  }

  /** The trust store (a copy); null when none is set (the JVM's own CAs then). */
  public TrustOptions trustOptions() {
    return trust == null ? null : trust.copy();
  }

  /**
   * Vert.x lists the JDK's default cipher suites once per process, in a static initializer that loads the JDK's CA
   * file (cacerts: some 150 certificates, a second at load 30); left alone that runs on the event loop of the first
   * TLS connection. Run here, at configuration, on the caller's thread.
   */
  private static void warmUpDefaultCipherSuites() {
    try {
      Class.forName("io.vertx.core.spi.tls.DefaultJDKCipherSuite", true, SslConfig.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      // Another Vert.x version: nothing to warm, or it is warmed elsewhere.
    }
  }

  private static boolean interBroker(String value) {
    return switch (value.toUpperCase(Locale.ROOT)) {
      case "PLAINTEXT" -> false;
      case "SSL" -> true;
      default -> throw new ConfigException(INTER_BROKER_PROTOCOL, "Invalid value '" + value + "' for configuration "
          + INTER_BROKER_PROTOCOL + ": must be PLAINTEXT or SSL");
    };
  }

  private static ClientAuth clientAuth(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "none" -> ClientAuth.NONE;
      case "requested" -> ClientAuth.REQUEST;
      case "required" -> ClientAuth.REQUIRED;
      default -> throw new ConfigException(CLIENT_AUTH, "Invalid value '" + value + "' for configuration "
          + CLIENT_AUTH + ": must be none, requested or required");
    };
  }

  private static Set<String> protocols(String value) {
    Set<String> out = new LinkedHashSet<>();
    for (String p : value.split(",")) {
      if (!p.isBlank()) {
        out.add(p.trim());
      }
    }
    if (out.isEmpty()) {
      throw new ConfigException(ENABLED_PROTOCOLS, "Configuration " + ENABLED_PROTOCOLS + " must name a protocol");
    }
    return out;
  }

  private static KeyCertOptions keyCert(BrokerConfig config) {
    String type = storeType(config, KEYSTORE_TYPE);
    String location = config.getString(KEYSTORE_LOCATION);
    requireOneSource(config, type, KEYSTORE_TYPE, KEYSTORE_LOCATION, KEYSTORE_KEY, KEYSTORE_CERTIFICATE_CHAIN);
    KeyCertOptions options;
    if (type.equals("PEM")) {
      options = pemKeyCert(config, location);
    } else {
      if (location.isEmpty()) {
        throw new ConfigException(KEYSTORE_LOCATION, "TLS is on (" + HTTP_SSL_ENABLE + " or " + INTER_BROKER_PROTOCOL
            + ") but " + KEYSTORE_LOCATION + " is not set");
      }
      KeyStoreOptionsBase store = keyStore(type, read(KEYSTORE_LOCATION, location), config.getString(KEYSTORE_PASSWORD));
      String keyPassword = config.getString(KEY_PASSWORD);
      options = store.setAliasPassword(keyPassword.isEmpty() ? null : keyPassword);
    }
    try {
      options.getKeyManagerFactory(null);
      if (options instanceof KeyStoreOptionsBase store && !hasKey(store.loadKeyStore(null))) {
        throw new IllegalArgumentException("no private key in it");
      }
    } catch (Exception e) {
      String key = type.equals("PEM") && location.isEmpty() ? KEYSTORE_KEY : KEYSTORE_LOCATION;
      throw new ConfigException(key, "Cannot load the key store of " + key + " (" + type + "; check it and "
          + KEYSTORE_PASSWORD + " / " + KEY_PASSWORD + "): " + e.getMessage(), e);
    }
    return options;
  }

  /** Kafka's PEM key store: one file with the key and its chain, or the two values in their own keys. */
  private static KeyCertOptions pemKeyCert(BrokerConfig config, String location) {
    if (!config.getString(KEY_PASSWORD).isEmpty()) {
      throw new ConfigException(KEY_PASSWORD, KEY_PASSWORD + " is not supported with " + KEYSTORE_TYPE + "=PEM:"
          + " give the private key unencrypted (PKCS#8), readable by the broker only");
    }
    String text = location.isEmpty() ? config.getString(KEYSTORE_KEY) + "\n"
        + config.getString(KEYSTORE_CERTIFICATE_CHAIN) : read(KEYSTORE_LOCATION, location).toString(StandardCharsets.UTF_8);
    List<String> keys = pemBlocks(text, "PRIVATE KEY");
    List<String> certs = pemBlocks(text, "CERTIFICATE");
    String key = location.isEmpty() ? KEYSTORE_KEY : KEYSTORE_LOCATION;
    if (keys.size() != 1 || certs.isEmpty()) {
      throw new ConfigException(key, "The PEM key store of " + key + " must hold one unencrypted private key and its"
          + " certificate chain; found " + keys.size() + " key(s), " + certs.size() + " certificate(s)");
    }
    return new PemKeyCertOptions().setKeyValue(Buffer.buffer(keys.get(0)))
        .setCertValue(Buffer.buffer(String.join("\n", certs)));
  }

  private static TrustOptions trust(BrokerConfig config) {
    String type = storeType(config, TRUSTSTORE_TYPE);
    String location = config.getString(TRUSTSTORE_LOCATION);
    String inline = config.getString(TRUSTSTORE_CERTIFICATES);
    if (location.isEmpty() && inline.isEmpty()) {
      return null;
    }
    requireOneSource(config, type, TRUSTSTORE_TYPE, TRUSTSTORE_LOCATION, TRUSTSTORE_CERTIFICATES);
    String key = location.isEmpty() ? TRUSTSTORE_CERTIFICATES : TRUSTSTORE_LOCATION;
    try {
      if (type.equals("PEM")) {
        String text = location.isEmpty() ? inline : read(key, location).toString(StandardCharsets.UTF_8);
        PemTrustOptions pem = new PemTrustOptions();
        for (String c : pemBlocks(text, "CERTIFICATE")) {
          // Parsed here as Vert.x would parse it when serving: a garbled certificate is refused at start.
          CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(c.getBytes(
              StandardCharsets.US_ASCII)));
          pem.addCertValue(Buffer.buffer(c));
        }
        if (pem.getCertValues().isEmpty()) {
          throw new IllegalArgumentException("no certificate in it");
        }
        return pem;
      }
      KeyStoreOptionsBase store = keyStore(type, read(key, location), config.getString(TRUSTSTORE_PASSWORD));
      if (store.loadKeyStore(null).size() == 0) {
        throw new IllegalArgumentException("no certificate in it");
      }
      return store;
    } catch (ConfigException e) {
      throw e;
    } catch (Exception e) {
      throw new ConfigException(key, "Cannot load the trust store of " + key + " (" + type + "; check it and "
          + TRUSTSTORE_PASSWORD + "): " + e.getMessage(), e);
    }
  }

  /**
   * A store comes from its file or from inline PEM values, never both (Kafka refuses both too, rather than silently
   * preferring one: a rotation that sets the values must also set the location to an empty value, or back).
   */
  private static void requireOneSource(BrokerConfig config, String type, String typeKey, String locationKey,
      String... inlineKeys) {
    for (String inline : inlineKeys) {
      if (config.getString(inline).isEmpty()) {
        continue;
      }
      if (!type.equals("PEM")) {
        throw new ConfigException(inline, inline + " is a PEM value: it needs " + typeKey + "=PEM, not " + type);
      }
      if (!config.getString(locationKey).isEmpty()) {
        throw new ConfigException(inline, "Both " + locationKey + " and " + inline + " are set: give the store"
            + " one way (set the other to an empty value)");
      }
    }
  }

  private static boolean hasKey(KeyStore store) throws KeyStoreException {
    for (String alias : Collections.list(store.aliases())) {
      if (store.isKeyEntry(alias)) {
        return true;
      }
    }
    return false;
  }

  /** JKS and PKCS12 as their own option types: the event bus copies its options through JSON, which keeps only those. */
  private static KeyStoreOptionsBase keyStore(String type, Buffer bytes, String password) {
    KeyStoreOptionsBase store = type.equals("JKS") ? new JksOptions().setValue(bytes) : new PfxOptions().setValue(bytes);
    return store.setPassword(password.isEmpty() ? null : password);
  }

  private static String storeType(BrokerConfig config, String key) {
    String type = config.getString(key).toUpperCase(Locale.ROOT);
    if (!List.of("PKCS12", "JKS", "PEM").contains(type)) {
      throw new ConfigException(key, "Invalid value '" + config.getString(key) + "' for configuration " + key
          + ": must be PKCS12, JKS or PEM");
    }
    return type;
  }

  private static Buffer read(String key, String location) {
    try {
      return Buffer.buffer(Files.readAllBytes(Path.of(location)));
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(key, "Cannot read " + key + " '" + location + "': " + e, e);
    }
  }

  /** The PEM blocks of {@code text} whose label ends with {@code label} (PRIVATE KEY: RSA, EC and PKCS#8 ones). */
  static List<String> pemBlocks(String text, String label) {
    List<String> out = new ArrayList<>();
    Matcher m = PEM_BLOCK.matcher(text);
    while (m.find()) {
      if (m.group(1).endsWith(label) && !m.group(1).startsWith("ENCRYPTED")) {
        out.add(m.group());
      }
    }
    return out;
  }
}
