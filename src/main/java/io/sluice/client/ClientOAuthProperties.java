package io.sluice.client;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka's client OAuth properties (KIP-768, and Kafka 4.1's {@code sasl.oauthbearer.client.credentials.*}) mapped onto
 * a {@link ClientOptions}: with {@code sasl.oauthbearer.token.endpoint.url} the client gets its tokens itself with the
 * client-credentials grant. The client id, secret and scope come from their own keys or, as in Kafka before 4.1, from
 * {@code clientId}, {@code clientSecret} and {@code scope} in {@code sasl.jaas.config}. Stateless.
 */
final class ClientOAuthProperties {
  static final String TOKEN_ENDPOINT_URL = "sasl.oauthbearer.token.endpoint.url";
  static final String CLIENT_ID = "sasl.oauthbearer.client.credentials.client.id";
  static final String CLIENT_SECRET = "sasl.oauthbearer.client.credentials.client.secret";
  static final String SCOPE = "sasl.oauthbearer.scope";
  static final String JAAS = "sasl.jaas.config";
  /** A JAAS module option: {@code name="value"} (with {@code \"} escapes) or {@code name=value}. */
  private static final Pattern JAAS_OPTION = Pattern.compile("(\\w+)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s;\"]+))");

  private ClientOAuthProperties() {
  }

  static void apply(ClientOptions options, Map<String, String> p) {
    LoginRefresh d = LoginRefresh.DEFAULTS;
    if (p.keySet().stream().anyMatch(k -> k.startsWith("sasl.login.refresh."))) {
      options.loginRefresh(new LoginRefresh(decimal(p, "sasl.login.refresh.window.factor", d.windowFactor()),
          decimal(p, "sasl.login.refresh.window.jitter", d.windowJitter()),
          (int) number(p, "sasl.login.refresh.min.period.seconds", d.minPeriodSeconds()),
          (int) number(p, "sasl.login.refresh.buffer.seconds", d.bufferSeconds())));
    }
    String url = p.getOrDefault(TOKEN_ENDPOINT_URL, "");
    if (url.isBlank()) {
      return;
    }
    Map<String, String> jaas = jaasOptions(p.getOrDefault(JAAS, ""));
    String id = first(p.get(CLIENT_ID), jaas.get("clientId"));
    String secret = first(p.get(CLIENT_SECRET), jaas.get("clientSecret"));
    if (id == null || secret == null) {
      throw new IllegalArgumentException(TOKEN_ENDPOINT_URL + " needs " + CLIENT_ID + " and " + CLIENT_SECRET
          + " (or clientId and clientSecret in " + JAAS + ")");
    }
    OAuthClientCredentials grant = new OAuthClientCredentials(url.trim(), id, secret)
        .scope(first(p.get(SCOPE), jaas.get("scope")));
    OAuthClientCredentials defaults = new OAuthClientCredentials(url.trim(), id, secret);
    grant.connectTimeoutMs(number(p, "sasl.login.connect.timeout.ms", defaults.connectTimeoutMs()))
        .readTimeoutMs(number(p, "sasl.login.read.timeout.ms", defaults.readTimeoutMs()))
        .retryBackoffMs(number(p, "sasl.login.retry.backoff.ms", defaults.retryBackoffMs()))
        .retryBackoffMaxMs(number(p, "sasl.login.retry.backoff.max.ms", defaults.retryBackoffMaxMs()));
    options.oauthClientCredentials(grant);
  }

  /** The options of a {@code sasl.jaas.config} value, by name. */
  static Map<String, String> jaasOptions(String config) {
    Map<String, String> options = new HashMap<>();
    Matcher m = JAAS_OPTION.matcher(config);
    while (m.find()) {
      options.put(m.group(1), m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3));
    }
    return options;
  }

  private static String first(String a, String b) {
    return a != null && !a.isBlank() ? a.trim() : b != null && !b.isBlank() ? b : null;
  }

  private static long number(Map<String, String> p, String key, long fallback) {
    String v = p.get(key);
    try {
      return v == null || v.isBlank() ? fallback : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number, got " + v);
    }
  }

  private static double decimal(Map<String, String> p, String key, double fallback) {
    String v = p.get(key);
    try {
      return v == null || v.isBlank() ? fallback : Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got " + v);
    }
  }
}
