package io.sluice.connect;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.components.Versioned;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * The connector, converter, transformation and predicate classes the worker can run, found once at start: those on
 * the broker's class path (Kafka's file connectors, SMTs and converters, Sluice's load generator), found through
 * their {@code META-INF/services} manifests, and those under each {@code plugin.path} directory. Every entry of such
 * a directory (a directory of jars, or one jar) is one plugin with its own {@link PluginClassLoader}; its classes are
 * read from its jars' {@code META-INF/services} manifests, or found by scanning its jars when it has none.
 *
 * <p>A class is named by its full name or, as in Kafka Connect, by its simple name or its simple name without the
 * kind's suffix ({@code FileStreamSource} for {@code FileStreamSourceConnector}) when that alias is unambiguous.
 * Immutable after {@link #discover}; thread-safe.
 */
public final class Plugins {
  private static final System.Logger LOG = System.getLogger(Plugins.class.getName());

  /** The kinds of plugin, with Kafka Connect's names for them in {@code GET /connector-plugins}. */
  public enum Kind {
    SOURCE("source", SourceConnector.class, "Connector"),
    SINK("sink", SinkConnector.class, "Connector"),
    CONVERTER("converter", Converter.class, "Converter"),
    HEADER_CONVERTER("header_converter", HeaderConverter.class, "Converter"),
    TRANSFORMATION("transformation", Transformation.class, ""),
    PREDICATE("predicate", Predicate.class, "");

    final String restName;
    final Class<?> type;
    final String suffix;

    Kind(String restName, Class<?> type, String suffix) {
      this.restName = restName;
      this.type = type;
      this.suffix = suffix;
    }

    public String restName() {
      return restName;
    }
  }

  /** One plugin class and the loader it lives in. */
  public record Plugin(String className, Kind kind, String version, ClassLoader loader) {
    public Class<?> load() {
      try {
        return Class.forName(className, true, loader);
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("Plugin class " + className + " vanished from " + loader, e);
      }
    }
  }

  private final Map<String, Plugin> byClassName;
  private final Map<String, List<Plugin>> byAlias;

  private Plugins(Map<String, Plugin> byClassName) {
    this.byClassName = byClassName;
    Map<String, List<Plugin>> aliases = new HashMap<>();
    for (Plugin p : byClassName.values()) {
      for (String alias : aliases(p)) {
        aliases.computeIfAbsent(alias, a -> new ArrayList<>()).add(p);
      }
    }
    this.byAlias = aliases;
  }

  /** The built-in plugins and those under {@code pluginPath} (directories; missing ones are logged and skipped). */
  public static Plugins discover(List<Path> pluginPath) {
    Map<String, Plugin> found = new TreeMap<>();
    ClassLoader broker = Plugins.class.getClassLoader();
    for (Kind kind : Kind.values()) {
      ServiceLoader.load(kind.type, broker).stream().forEach(p -> add(found, p.type(), kind, broker));
    }
    for (Path dir : pluginPath) {
      if (!Files.isDirectory(dir)) {
        LOG.log(Level.WARNING, "plugin.path entry " + dir + " is not a directory; skipped");
        continue;
      }
      try (Stream<Path> entries = Files.list(dir)) {
        entries.sorted().forEach(location -> scanLocation(found, location, broker));
      } catch (IOException e) {
        LOG.log(Level.WARNING, "Cannot list plugin.path entry " + dir + ": " + e);
      }
    }
    return new Plugins(found);
  }

  private static void scanLocation(Map<String, Plugin> found, Path location, ClassLoader broker) {
    List<Path> jars = jarsOf(location);
    if (jars.isEmpty()) {
      return;
    }
    URL[] urls = jars.stream().map(Plugins::url).toArray(URL[]::new);
    PluginClassLoader loader = new PluginClassLoader(location.toString(), urls, broker);
    int before = found.size();
    // A plugin that declares its classes in service manifests (as Debezium's do) is taken at its word: scanning
    // thousands of classes would cost every broker start seconds of CPU. Others are scanned.
    List<String> declared = new ArrayList<>();
    for (Path jar : jars) {
      declared.addAll(manifestNames(jar));
    }
    for (Path jar : declared.isEmpty() ? jars : List.of(jars.get(0))) {
      for (String className : declared.isEmpty() ? classNames(jar) : declared) {
        try {
          Class<?> c = Class.forName(className, false, loader);
          if (c.getClassLoader() != loader || Modifier.isAbstract(c.getModifiers())
              || !Modifier.isPublic(c.getModifiers())) {
            continue;
          }
          for (Kind kind : Kind.values()) {
            if (kind.type.isAssignableFrom(c)) {
              add(found, c, kind, loader);
            }
          }
        } catch (Throwable t) { // a class whose dependencies are missing is simply not a usable plugin
          LOG.log(Level.DEBUG, "Skipping " + className + " in " + jar + ": " + t);
        }
      }
    }
    LOG.log(Level.INFO, "Plugin " + location + ": " + (found.size() - before) + " plugin classes in own class loader");
  }

  private static List<Path> jarsOf(Path location) {
    if (Files.isRegularFile(location) && location.toString().endsWith(".jar")) {
      return List.of(location);
    }
    if (!Files.isDirectory(location)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(location)) {
      return files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "Cannot read plugin " + location + ": " + e);
      return List.of();
    }
  }

  private static URL url(Path p) {
    try {
      return p.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Class names listed in the jar's {@code META-INF/services} manifests of the plugin kinds. */
  private static List<String> manifestNames(Path jar) {
    List<String> names = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      for (Kind kind : Kind.values()) {
        JarEntry e = file.getJarEntry("META-INF/services/" + kind.type.getName());
        if (e == null) {
          continue;
        }
        String text = new String(file.getInputStream(e).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
          String name = line.replaceAll("#.*", "").trim();
          if (!name.isEmpty()) {
            names.add(name);
          }
        }
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "Cannot read plugin jar " + jar + ": " + e);
    }
    return names;
  }

  private static List<String> classNames(Path jar) {
    List<String> names = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      Enumeration<JarEntry> entries = file.entries();
      while (entries.hasMoreElements()) {
        String n = entries.nextElement().getName();
        if (n.endsWith(".class") && !n.contains("module-info") && !n.startsWith("META-INF")) {
          names.add(n.substring(0, n.length() - ".class".length()).replace('/', '.'));
        }
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "Cannot read plugin jar " + jar + ": " + e);
    }
    return names;
  }

  private static void add(Map<String, Plugin> found, Class<?> c, Kind kind, ClassLoader loader) {
    found.putIfAbsent(c.getName() + "/" + kind, new Plugin(c.getName(), kind, versionOf(c, loader), loader));
  }

  private static String versionOf(Class<?> c, ClassLoader loader) {
    if (!Versioned.class.isAssignableFrom(c)) {
      return AppInfoParser.getVersion();
    }
    try {
      return withLoader(loader, () -> ((Versioned) c.getDeclaredConstructor().newInstance()).version());
    } catch (Throwable t) {
      return "undefined";
    }
  }

  /** Sluice's own short names for connectors it ships, beside Kafka Connect's simple-name aliases. */
  private static final Map<String, String> SHORT_NAMES = Map.of(
      "io.debezium.connector.postgresql.PostgresConnector", "PostgresCdc");

  private static List<String> aliases(Plugin p) {
    String simple = p.className.substring(p.className.lastIndexOf('.') + 1);
    List<String> out = new ArrayList<>(List.of(simple));
    if (SHORT_NAMES.containsKey(p.className)) {
      out.add(SHORT_NAMES.get(p.className));
    }
    if (!p.kind.suffix.isEmpty() && simple.endsWith(p.kind.suffix) && simple.length() > p.kind.suffix.length()) {
      out.add(simple.substring(0, simple.length() - p.kind.suffix.length()));
    }
    return out;
  }

  /** The plugin a config names (class name or unambiguous alias) if it is one of {@code kinds}. */
  public java.util.Optional<Plugin> find(String name, Kind... kinds) {
    if (name == null || name.isBlank()) {
      return java.util.Optional.empty();
    }
    String n = name.trim();
    for (Kind kind : kinds) {
      Plugin p = byClassName.get(n + "/" + kind);
      if (p != null) {
        return java.util.Optional.of(p);
      }
    }
    List<Plugin> candidates = byAlias.getOrDefault(n, List.of()).stream()
        .filter(p -> List.of(kinds).contains(p.kind)).toList();
    return candidates.size() == 1 ? java.util.Optional.of(candidates.get(0)) : java.util.Optional.empty();
  }

  /** Like {@link #find} but fails with INVALID_CONNECTOR_CONFIG naming {@code key}. */
  public Plugin require(String key, String name, Kind... kinds) {
    return find(name, kinds).orElseThrow(() -> new SluiceException(ErrorCode.INVALID_CONNECTOR_CONFIG,
        "Invalid value " + name + " for configuration " + key + ": no " + kindNames(kinds)
            + " plugin has that class name or alias"));
  }

  static String kindNames(Kind... kinds) {
    return String.join(" or ", Stream.of(kinds).map(k -> k.restName).toList());
  }

  /** A new instance of the plugin's class, made with the plugin's loader as the thread's context loader. */
  public <T> T newInstance(Plugin plugin, Class<T> type) {
    return withLoader(plugin.loader, () -> type.cast(plugin.load().getDeclaredConstructor().newInstance()));
  }

  /** All plugins, sorted by class name. */
  public Collection<Plugin> all() {
    return byClassName.values();
  }

  /** Runs {@code action} with {@code loader} as the thread's context class loader (as Kafka Connect does). */
  static <T> T withLoader(ClassLoader loader, Callable<T> action) {
    Thread t = Thread.currentThread();
    ClassLoader saved = t.getContextClassLoader();
    t.setContextClassLoader(loader);
    try {
      return action.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      t.setContextClassLoader(saved);
    }
  }
}
