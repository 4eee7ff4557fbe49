package io.sluice.dashboard;

import io.sluice.http.HttpExtension;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.MimeMapping;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.webjars.WebJarVersionLocator;

/**
 * Serves the dashboard: {@code GET /} and the files of {@code webroot/}, and front-end libraries under
 * {@code /webjars/{library}/{path}} (the version comes from the WebJar on the class path, so pages name none).
 *
 * <p>{@code webroot/} is looked up in the working directory first and then on the class path, where the build
 * packages it (Vert.x's file resolution): a broker started from the project directory serves the files being edited,
 * one started anywhere else serves the jar's copy.
 *
 * <p>Every answer carries a content security policy that allows scripts, styles and connections to this origin
 * only, and no inline script or framing. Pages and modules are revalidated on every load ({@code no-cache} with
 * {@code Last-Modified}/{@code ETag}), so an upgraded broker is never shown with stale scripts.
 */
public final class DashboardRoutes implements HttpExtension {
  static final String WEBROOT = "webroot";
  static final String WEBJARS = "META-INF/resources/webjars/";
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
      + " form-action 'self'";

  /** The WebJars the pages use; their versions are read once, at construction (class path reads block). */
  static final List<String> LIBRARIES = List.of("uplot");

  private final Map<String, String> versions = new HashMap<>();

  /** Reads the WebJars' versions from the class path: call it off the event loop. */
  public DashboardRoutes() {
    WebJarVersionLocator locator = new WebJarVersionLocator();
    for (String library : LIBRARIES) {
      String version = locator.version(library);
      if (version != null) {
        versions.put(library, version);
      }
    }
  }

  @Override
  public void mount(Router router, io.vertx.core.Handler<RoutingContext> jsonBody) {
    StaticHandler files = StaticHandler.create(WEBROOT).setCachingEnabled(true).setMaxAgeSeconds(0)
        .setIndexPage("index.html").setDefaultContentEncoding("UTF-8");
    router.get("/webjars/*").handler(DashboardRoutes::securityHeaders).handler(this::webjar);
    router.get("/*").handler(DashboardRoutes::securityHeaders).handler(files);
  }

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response().putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.addHeadersEndHandler(v -> {
      if (ctx.response().getStatusCode() < 400) {
        ctx.response().headers().set(HttpHeaders.CACHE_CONTROL, "no-cache");
      }
    });
    ctx.next();
  }

  /** {@code /webjars/uplot/dist/uPlot.iife.min.js} → the file in the uplot WebJar of whatever version is here. */
  private void webjar(RoutingContext ctx) {
    String rest = ctx.normalizedPath().substring("/webjars/".length());
    int slash = rest.indexOf('/');
    if (slash <= 0 || rest.contains("..")) {
      ctx.next();
      return;
    }
    String library = rest.substring(0, slash);
    Optional<String> version = Optional.ofNullable(versions.get(library));
    if (version.isEmpty()) {
      ctx.next();
      return;
    }
    String resource = WEBJARS + library + "/" + version.get() + rest.substring(slash);
    String etag = "\"" + library + "-" + version.get() + "\"";
    if (etag.equals(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
      ctx.response().setStatusCode(304).putHeader(HttpHeaders.ETAG, etag).end();
      return;
    }
    if (getClass().getClassLoader().getResource(resource) == null) {
      ctx.next();
      return;
    }
    String type = MimeMapping.mimeTypeForFilename(resource);
    ctx.response().putHeader(HttpHeaders.ETAG, etag)
        .putHeader(HttpHeaders.CONTENT_TYPE, type == null ? "application/octet-stream"
            : type.startsWith("text/") || type.contains("javascript") ? type + ";charset=UTF-8" : type)
        .sendFile(resource).onFailure(ctx::fail);
  }
}
