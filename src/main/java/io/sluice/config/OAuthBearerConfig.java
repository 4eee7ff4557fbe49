package io.sluice.config;

import static io.sluice.config.ConfigKey.intKey;
import static io.sluice.config.ConfigKey.longKey;
import static io.sluice.config.ConfigKey.stringKey;

import java.net.URI;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code authentication.method} and the OAUTHBEARER validation settings, under Kafka's broker names and defaults
 * (KIP-768's {@code sasl.oauthbearer.*}): bearer tokens are JWTs checked locally against the identity provider's
 * JWKS, which the broker reads at the start and then every {@value #JWKS_REFRESH_MS} ms.
 */
public final class OAuthBearerConfig {
  public static final String JWKS_URL = "sasl.oauthbearer.jwks.endpoint.url";
  public static final String JWKS_REFRESH_MS = "sasl.oauthbearer.jwks.endpoint.refresh.ms";
  public static final String JWKS_RETRY_BACKOFF_MS = "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms";
  public static final String JWKS_RETRY_BACKOFF_MAX_MS = "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms";
  public static final String EXPECTED_AUDIENCE = "sasl.oauthbearer.expected.audience";
  public static final String EXPECTED_ISSUER = "sasl.oauthbearer.expected.issuer";
  public static final String SUB_CLAIM_NAME = "sasl.oauthbearer.sub.claim.name";
  public static final String SCOPE_CLAIM_NAME = "sasl.oauthbearer.scope.claim.name";
  public static final String CLOCK_SKEW_SECONDS = "sasl.oauthbearer.clock.skew.seconds";

  /** The methods {@code authentication.method} may list. */
  public enum Method { BASIC, OAUTHBEARER }

  static final List<ConfigKey> KEYS = List.of(
      stringKey(JWKS_URL, "", "the identity provider's JWKS (https://, http:// or file:), whose keys verify bearer"
          + " tokens; required with authentication.method OAUTHBEARER"),
      longKey(JWKS_REFRESH_MS, 3_600_000L, 1_000, "how often the JWKS is read again; a token signed by a key id"
          + " not in it reads it at once (at most once per key id a minute)"),
      longKey(JWKS_RETRY_BACKOFF_MS, 100L, 1, "the first wait before reading a JWKS that failed again (doubling)"),
      longKey(JWKS_RETRY_BACKOFF_MAX_MS, 10_000L, 1, "the longest wait between JWKS reading attempts"),
      stringKey(EXPECTED_AUDIENCE, "", "comma-separated audiences a token's aud claim must name one of (empty: aud"
          + " not checked)"),
      stringKey(EXPECTED_ISSUER, "", "the iss claim every token must carry (empty: iss not checked)"),
      stringKey(SUB_CLAIM_NAME, "sub", "the claim whose value is the caller's principal, User:<value>"),
      stringKey(SCOPE_CLAIM_NAME, "scope", "the claim holding the token's scopes (a space-separated string or a"
          + " list of strings); a token whose scope claim is of another type is refused"),
      intKey(CLOCK_SKEW_SECONDS, 30, 0, 3_600, "seconds the broker's clock may differ from the provider's when"
          + " checking exp, nbf and iat"));

  private OAuthBearerConfig() {
  }

  /** The methods {@code value} lists ({@code NONE}: none); fails naming the key for anything else. */
  public static Set<Method> methods(String value) {
    Set<Method> methods = new LinkedHashSet<>();
    for (String part : value.split(",")) {
      String name = part.trim().toUpperCase(Locale.ROOT);
      if (name.equals("NONE") && value.trim().equalsIgnoreCase("NONE")) {
        return Set.of();
      }
      try {
        methods.add(Method.valueOf(name));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(BrokerConfig.AUTHENTICATION_METHOD, "Configuration "
            + BrokerConfig.AUTHENTICATION_METHOD + " must be NONE or a comma-separated list of "
            + Arrays.toString(Method.values()) + ", got '" + value + "'");
      }
    }
    return Set.copyOf(methods);
  }

  /** Refuses OAUTHBEARER without a JWKS to check tokens against, and a JWKS URL of another scheme. */
  static void validate(BrokerConfig config) {
    Set<Method> methods = methods(config.getString(BrokerConfig.AUTHENTICATION_METHOD));
    String url = config.getString(JWKS_URL);
    if (methods.contains(Method.OAUTHBEARER) && url.isEmpty()) {
      throw new ConfigException(JWKS_URL, "Configuration " + BrokerConfig.AUTHENTICATION_METHOD
          + " OAUTHBEARER needs " + JWKS_URL + ": the keys bearer tokens are checked against");
    }
    if (!url.isEmpty()) {
      String scheme = scheme(url);
      if (!scheme.equals("https") && !scheme.equals("http") && !scheme.equals("file")) {
        throw new ConfigException(JWKS_URL, "Configuration " + JWKS_URL + " must be an https://, http:// or file:"
            + " URL, got '" + url + "'");
      }
    }
    if (config.getLong(JWKS_RETRY_BACKOFF_MS) > config.getLong(JWKS_RETRY_BACKOFF_MAX_MS)) {
      throw new ConfigException(JWKS_RETRY_BACKOFF_MS, "Configuration " + JWKS_RETRY_BACKOFF_MS
          + " must not exceed " + JWKS_RETRY_BACKOFF_MAX_MS);
    }
  }

  private static String scheme(String url) {
    try {
      String scheme = URI.create(url).getScheme();
      return scheme == null ? "" : scheme.toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /** The expected audiences of {@value #EXPECTED_AUDIENCE}; empty: not checked. */
  public static List<String> audiences(BrokerConfig config) {
    return Arrays.stream(config.getString(EXPECTED_AUDIENCE).split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
  }
}
