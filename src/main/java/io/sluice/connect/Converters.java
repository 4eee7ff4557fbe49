package io.sluice.connect;

import io.sluice.connect.Plugins.Kind;
import io.sluice.connect.Plugins.Plugin;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;

/**
 * A task's key, value and header converters, configured as Kafka Connect configures them: {@code key.converter}
 * with the {@code key.converter.}-prefixed keys ({@code key.converter.schemas.enable=false}), likewise for values and
 * headers; JSON with schemas by default for keys and values, Kafka's {@code SimpleHeaderConverter} for headers.
 */
record Converters(Converter key, Converter value, HeaderConverter header) {

  /**
   * {@code scope}: where a converter that is {@code Monitorable} reports its metrics (tag converter=key|value|header),
   * and whose closer closes each converter built (and removes its metrics) with the task, even if a later one fails.
   */
  static Converters build(Plugins plugins, Map<String, String> config, PluginMeters.Scope scope) {
    Converter key = converter(plugins, config, ConnectorConfigs.KEY_CONVERTER, true, scope);
    Converter value = converter(plugins, config, ConnectorConfigs.VALUE_CONVERTER, false, scope);
    String headerName = config.getOrDefault(ConnectorConfigs.HEADER_CONVERTER,
        ConnectorConfigs.DEFAULT_HEADER_CONVERTER);
    Plugin hp = plugins.require(ConnectorConfigs.HEADER_CONVERTER, headerName, Kind.HEADER_CONVERTER,
        Kind.CONVERTER);
    HeaderConverter header = plugins.newInstance(hp, HeaderConverter.class);
    Map<String, Object> hc = new HashMap<>(ConnectorConfigs.withPrefix(config, "header.converter."));
    Plugins.withLoader(hp.loader(), () -> {
      header.configure(hc);
      scope.wrap(header, "converter", "header");
      return null;
    });
    return new Converters(key, value, header);
  }

  private static Converter converter(Plugins plugins, Map<String, String> config, String key, boolean isKey,
      PluginMeters.Scope scope) {
    String name = config.getOrDefault(key, ConnectorConfigs.DEFAULT_CONVERTER);
    Plugin plugin = plugins.require(key, name, Kind.CONVERTER);
    Converter c = plugins.newInstance(plugin, Converter.class);
    Map<String, Object> own = new HashMap<>(ConnectorConfigs.withPrefix(config, key + "."));
    Plugins.withLoader(plugin.loader(), () -> {
      c.configure(own, isKey);
      scope.wrap(c, "converter", isKey ? "key" : "value");
      return null;
    });
    return c;
  }
}
