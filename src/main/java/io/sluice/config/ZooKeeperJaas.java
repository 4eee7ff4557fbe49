package io.sluice.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.URIParameter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

/**
 * JAAS sections for ZooKeeper's SASL, per client and per embedded server rather than per JVM.
 *
 * <p>ZooKeeper's client and server log in through a {@code LoginContext} that looks its section up by name in the
 * JVM's one {@link Configuration}, whose sections come from the file of the {@value #FILE_PROPERTY} system property:
 * brokers of one JVM (tests start several) would all log in as the same user. Instead each client reads its own file
 * here and its section is copied under a name of its own ({@link #register}); a {@link Configuration} installed once
 * answers those names and hands every other name to the configuration that was in force before.
 */
public final class ZooKeeperJaas extends Configuration {
  /** The JVM's JAAS file (Kafka's and ZooKeeper's way to configure SASL), and ZooKeeper's client key for it. */
  public static final String FILE_PROPERTY = "java.security.auth.login.config";
  /** ZooKeeper's DIGEST-MD5 login module: {@code username}/{@code password} (client), {@code user_<name>} (server). */
  public static final String DIGEST_LOGIN_MODULE = "org.apache.zookeeper.server.auth.DigestLoginModule";
  private static final String PREFIX = "sluice-zookeeper-";
  /** Registered sections by name; one name per distinct content, so that restarts in one JVM do not pile them up. */
  private static final Map<String, AppConfigurationEntry[]> SECTIONS = new ConcurrentHashMap<>();
  private static final Map<String, String> NAMES = new ConcurrentHashMap<>();
  private static int registered;

  private final Configuration previous;

  private ZooKeeperJaas(Configuration previous) {
    this.previous = previous;
  }

  /**
   * The entries of {@code section} in {@code file}, or with {@code file} empty in the JVM's JAAS file ({@value
   * #FILE_PROPERTY}, else the JVM's configuration); null when there is no such section.
   *
   * @param key the setting that named {@code file}, for the message of an unreadable one
   */
  public static AppConfigurationEntry[] read(String file, String section, String key) {
    String path = file.isEmpty() ? System.getProperty(FILE_PROPERTY, "") : file;
    if (path.isEmpty()) {
      return jvmEntries(section);
    }
    String named = path.startsWith("=") ? path.substring(1) : path; // "==file": the JVM's only file
    URI uri = named.contains("://") || named.startsWith("file:") ? URI.create(named) : Path.of(named).toUri();
    if ("file".equals(uri.getScheme()) && !Files.isReadable(Path.of(uri))) {
      throw new ConfigException(key, "Cannot read the JAAS file " + named + " of " + key + " (missing or not"
          + " readable)");
    }
    try {
      return Configuration.getInstance("JavaLoginConfig", new URIParameter(uri)).getAppConfigurationEntry(section);
    } catch (Exception e) {
      throw new ConfigException(key, "Cannot read the JAAS file " + named + " of " + key + ": "
          + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
    }
  }

  private static AppConfigurationEntry[] jvmEntries(String section) {
    try {
      return Configuration.getConfiguration().getAppConfigurationEntry(section);
    } catch (SecurityException e) {
      return null; // the JVM has no JAAS configuration at all
    }
  }

  /**
   * Installs this JVM's configuration if needed and registers {@code entries}; returns the name ZooKeeper's login
   * finds them under.
   */
  public static synchronized String register(AppConfigurationEntry[] entries) {
    String name = NAMES.computeIfAbsent(fingerprint(entries), f -> PREFIX + ++registered);
    SECTIONS.put(name, entries.clone());
    Configuration current;
    try {
      current = Configuration.getConfiguration();
    } catch (SecurityException e) {
      current = null;
    }
    if (!(current instanceof ZooKeeperJaas)) {
      Configuration.setConfiguration(new ZooKeeperJaas(current));
    }
    return name;
  }

  private static String fingerprint(AppConfigurationEntry[] entries) {
    StringBuilder b = new StringBuilder();
    for (AppConfigurationEntry e : entries) {
      b.append(e.getLoginModuleName()).append(' ').append(e.getControlFlag()).append(' ')
          .append(new TreeMap<>(e.getOptions())).append(';');
    }
    return b.toString();
  }

  /** The option {@code name} of {@code entry} as a string, or null. */
  public static String option(AppConfigurationEntry entry, String name) {
    Object v = entry.getOptions().get(name);
    return v == null ? null : v.toString();
  }

  /**
   * Fails naming {@code key} unless every login module of {@code section} ({@code entries}, read from {@code file})
   * is on the class path.
   */
  public static void requireModules(AppConfigurationEntry[] entries, String section, String file, String key) {
    for (AppConfigurationEntry e : entries) {
      try {
        Class.forName(e.getLoginModuleName(), false, ZooKeeperJaas.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError ex) {
        throw new ConfigException(key, "The JAAS section '" + section + "' of " + describe(file) + " names the login"
            + " module " + e.getLoginModuleName() + ", which is not on the class path (ZooKeeper's DIGEST-MD5 one is "
            + DIGEST_LOGIN_MODULE + ")");
      }
    }
  }

  /** {@code file} for a message: the JVM's when empty. */
  public static String describe(String file) {
    String jvm = System.getProperty(FILE_PROPERTY, "");
    return !file.isEmpty() ? file : jvm.isEmpty() ? "the JVM's JAAS configuration" : jvm + " (-D" + FILE_PROPERTY
        + ")";
  }

  @Override
  public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
    AppConfigurationEntry[] mine = SECTIONS.get(name);
    if (mine != null) {
      return mine.clone();
    }
    return previous == null ? null : previous.getAppConfigurationEntry(name);
  }

  @Override
  public void refresh() {
    if (previous != null) {
      previous.refresh();
    }
  }
}
