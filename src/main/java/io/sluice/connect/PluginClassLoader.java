package io.sluice.connect;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * One plugin's class loader: child first, so a connector's own dependencies (its Jackson, its JDBC driver) win over
 * the broker's. Only the JDK, SLF4J and Kafka's framework API (what the worker and the plugin must share to talk:
 * {@code org.apache.kafka.common} and the connect API) come from the broker first. Kafka's own plugins that a jar may
 * bundle (the file connectors, the transformations, the JSON converter) are not framework and load child first.
 */
final class PluginClassLoader extends URLClassLoader {
  static {
    registerAsParallelCapable();
  }

  private final String location;

  PluginClassLoader(String location, URL[] urls, ClassLoader parent) {
    super("plugin:" + location, urls, parent);
    this.location = location;
  }

  String location() {
    return location;
  }

  static boolean sharedWithBroker(String name) {
    if (name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.") || name.startsWith("sun.")
        || name.startsWith("org.slf4j.") || name.startsWith("org.apache.kafka.common.")) {
      return true;
    }
    if (!name.startsWith("org.apache.kafka.connect.")) {
      return false;
    }
    return !(name.startsWith("org.apache.kafka.connect.file.") || name.startsWith("org.apache.kafka.connect.transforms.")
        && !name.startsWith("org.apache.kafka.connect.transforms.Transformation")
        && !name.startsWith("org.apache.kafka.connect.transforms.predicates.Predicate")
        || name.startsWith("org.apache.kafka.connect.json."));
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    synchronized (getClassLoadingLock(name)) {
      Class<?> c = findLoadedClass(name);
      if (c == null) {
        if (sharedWithBroker(name)) {
          c = getParent().loadClass(name);
        } else {
          try {
            c = findClass(name);
          } catch (ClassNotFoundException e) {
            c = getParent().loadClass(name);
          }
        }
      }
      if (resolve) {
        resolveClass(c);
      }
      return c;
    }
  }

  @Override
  public URL getResource(String name) {
    URL own = findResource(name);
    return own != null ? own : super.getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    List<URL> all = new ArrayList<>(Collections.list(findResources(name)));
    all.addAll(Collections.list(getParent().getResources(name)));
    return Collections.enumeration(all);
  }
}
