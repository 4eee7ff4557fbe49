package io.sluice.http;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.vertx.ext.web.MIMEHeader;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * The media types of the API and how requests name them. Follows Kafka REST v2:
 * {@code application/vnd.kafka[.embedded].v2+json}, where the embedded format says how keys and values are
 * carried inside the JSON ({@link EmbeddedFormat}). Plain {@code application/json} means the json format.
 */
final class MediaTypes {
  /** Metadata and produce responses, and error bodies. */
  static final String KAFKA_V2_JSON = "application/vnd.kafka.v2+json";
  static final String KAFKA_JSON_V2 = "application/vnd.kafka.json.v2+json";
  static final String KAFKA_BINARY_V2 = "application/vnd.kafka.binary.v2+json";
  static final String JSON = "application/json";
  /** One or more Kafka v2 record batches back to back, byte for byte as stored. */
  static final String SLUICE_BATCH = "application/vnd.sluice.batch";
  /** Decoded records of any partitions, framed ({@link io.sluice.record.RecordFrames}): a consumer poll's answer. */
  static final String SLUICE_RECORDS = "application/vnd.sluice.records";
  /** Sections of many partitions' batches ({@link io.sluice.record.PartitionSections}). */
  static final String SLUICE_PARTITION_BATCHES = "application/vnd.sluice.partition-batches";
  /** A consumer poll's answer as the log's stored batches, a poll section per partition ({@code PartitionSections}). */
  static final String SLUICE_RECORD_BATCHES = "application/vnd.sluice.record-batches";

  private MediaTypes() {
  }

  /** The format a produce request's Content-Type names; 415 UNSUPPORTED_MEDIA_TYPE for any other. */
  static EmbeddedFormat produceFormat(RoutingContext ctx) {
    String type = baseType(ctx.request().getHeader("Content-Type"));
    return switch (type) {
      case KAFKA_JSON_V2, JSON -> EmbeddedFormat.JSON;
      case KAFKA_BINARY_V2 -> EmbeddedFormat.BINARY;
      default -> throw ErrorResponses.error(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type '" + type
          + "' is not supported here; use " + KAFKA_JSON_V2 + ", " + KAFKA_BINARY_V2 + " or " + JSON);
    };
  }

  /** Fails with 415 unless the request's Content-Type is {@code expected}. */
  static void requireContentType(RoutingContext ctx, String expected) {
    String type = baseType(ctx.request().getHeader("Content-Type"));
    if (!type.equals(expected)) {
      throw ErrorResponses.error(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type " + Echo.quoted(type) + " is not supported here; use " + expected);
    }
  }

  /**
   * Fails with 415 unless the request's Content-Type names JSON: {@code application/json} or any {@code +json}
   * type (the REST v2 {@code application/vnd.kafka.v2+json} among them). An absent Content-Type is let through, as
   * some clients send a JSON body without one; a form or text body is refused rather than parsed as JSON.
   */
  static void requireJson(RoutingContext ctx) {
    String type = baseType(ctx.request().getHeader("Content-Type"));
    if (!type.isEmpty() && !type.equals(JSON) && !type.endsWith("+json")) {
      throw ErrorResponses.error(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type " + Echo.quoted(type) + " is not supported here; use " + KAFKA_V2_JSON + " or " + JSON);
    }
  }

  /** What a fetch answers with: a records format, or raw batches. */
  enum FetchFormat {
    JSON(KAFKA_JSON_V2), BINARY(KAFKA_BINARY_V2), BATCHES(SLUICE_BATCH);

    final String mediaType;

    FetchFormat(String mediaType) {
      this.mediaType = mediaType;
    }
  }

  /**
   * Picks the fetch format from the Accept header, most preferred first. No Accept header, or only
   * wildcards, gives {@link FetchFormat#BINARY}: base64 carries any bytes without loss.
   */
  static FetchFormat fetchFormat(RoutingContext ctx) {
    if (ctx.request().getHeader("Accept") == null) {
      return FetchFormat.BINARY;
    }
    for (MIMEHeader accepted : ctx.parsedHeaders().accept()) {
      String type = accepted.component() + "/" + accepted.subComponent();
      switch (type.toLowerCase(Locale.ROOT)) {
        case KAFKA_BINARY_V2, "*/*", "application/*":
          return FetchFormat.BINARY;
        case KAFKA_JSON_V2, JSON:
          return FetchFormat.JSON;
        case SLUICE_BATCH:
          return FetchFormat.BATCHES;
        default:
          break;
      }
    }
    throw ErrorResponses.error(ErrorCode.NOT_ACCEPTABLE, "Accept '" + ctx.request().getHeader("Accept")
        + "' names no supported type; use " + KAFKA_JSON_V2 + ", " + KAFKA_BINARY_V2 + " or " + SLUICE_BATCH);
  }

  /**
   * The media type of a consumer instance's records: its own {@code format} decides, and the Accept header may only
   * agree (name that format's type, {@code application/json} for json, or a wildcard, or be absent). An Accept that
   * names only other types is 406 NOT_ACCEPTABLE: answering in another format would hand a JSON consumer base64
   * (or the reverse) without saying so.
   */
  static EmbeddedFormat consumerRecordsFormat(RoutingContext ctx, EmbeddedFormat instanceFormat) {
    if (ctx.request().getHeader("Accept") == null) {
      return instanceFormat;
    }
    String own = instanceFormat == EmbeddedFormat.JSON ? KAFKA_JSON_V2 : KAFKA_BINARY_V2;
    for (MIMEHeader accepted : ctx.parsedHeaders().accept()) {
      String type = (accepted.component() + "/" + accepted.subComponent()).toLowerCase(Locale.ROOT);
      if (type.equals(own) || type.equals("*/*") || type.equals("application/*")
          || instanceFormat == EmbeddedFormat.JSON && type.equals(JSON)) {
        return instanceFormat;
      }
    }
    throw ErrorResponses.error(ErrorCode.NOT_ACCEPTABLE, "Accept '" + ctx.request().getHeader("Accept")
        + "' does not include " + own + ", the format this consumer instance was created with ('"
        + (instanceFormat == EmbeddedFormat.JSON ? "json" : "binary") + "')");
  }

  /** Whether the request's Accept header names {@code type} itself (not through a wildcard). */
  static boolean accepts(RoutingContext ctx, String type) {
    if (ctx.request().getHeader("Accept") == null) {
      return false;
    }
    for (MIMEHeader accepted : ctx.parsedHeaders().accept()) {
      if ((accepted.component() + "/" + accepted.subComponent()).toLowerCase(Locale.ROOT).equals(type)) {
        return true;
      }
    }
    return false;
  }

  /** The type/subtype of a Content-Type header, lower case, without parameters; "" when absent. */
  static String baseType(String header) {
    if (header == null) {
      return "";
    }
    int semicolon = header.indexOf(';');
    String type = semicolon < 0 ? header : header.substring(0, semicolon);
    return type.trim().toLowerCase(Locale.ROOT);
  }
}
