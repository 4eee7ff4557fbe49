package io.sluice.schema;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small client of one broker's schema registry API, as Confluent's clients call it. */
final class RegistryClient {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  RegistryClient(int port) {
    this.base = "http://127.0.0.1:" + port + RegistryEndpoint.PREFIX;
  }

  /** An answer: its status and body. */
  record Reply(int status, String body, String contentType) {
    JsonObject json() {
      return new JsonObject(body);
    }

    Object value() {
      return Json.decodeValue(body);
    }

    int errorCode() {
      return json().getInteger("error_code");
    }
  }

  Reply send(String method, String path, Object body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", RegistryEndpoint.MEDIA_TYPE).method(method, body == null
            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(Json.encode(body))).build();
    HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
  }

  Reply get(String path) throws Exception {
    return send("GET", path, null);
  }

  /** Registers {@code schema} (Avro) under {@code subject}. */
  Reply register(String subject, String schema) throws Exception {
    return send("POST", "/subjects/" + subject + "/versions", new JsonObject().put("schema", schema));
  }

  int registeredId(String subject, String schema) throws Exception {
    Reply r = register(subject, schema);
    if (r.status() != 200) {
      throw new AssertionError(r.status() + " " + r.body());
    }
    return r.json().getInteger("id");
  }

  Reply setLevel(String subject, String level) throws Exception {
    return send("PUT", "/config/" + subject, new JsonObject().put("compatibility", level));
  }

  /** {@code POST /compatibility/subjects/{s}/versions[/latest]}: whether {@code schema} passes. */
  boolean compatible(String subject, String versions, String schema) throws Exception {
    Reply r = send("POST", "/compatibility/subjects/" + subject + "/versions" + versions,
        new JsonObject().put("schema", schema));
    if (r.status() != 200) {
      throw new AssertionError(r.status() + " " + r.body());
    }
    return r.json().getBoolean("is_compatible");
  }
}
