package io.sluice.http;

import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How a record's key and value travel inside a JSON request or response (Kafka REST v2's "embedded format").
 * JSON null is a null key or value in both formats.
 */
enum EmbeddedFormat {
  /**
   * Any JSON value; stored as the UTF-8 bytes of its JSON text ({@code "a"} is stored with its quotes). Read
   * back by parsing those bytes; bytes that are not JSON come back as a string.
   */
  JSON {
    @Override
    byte[] toBytes(Object json, String field) {
      return json == null ? null : Json.encode(json).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    Object toJson(byte[] bytes) {
      if (bytes == null) {
        return null;
      }
      try {
        return Json.decodeValue(Buffer.buffer(bytes));
      } catch (DecodeException notJson) {
        return new String(bytes, StandardCharsets.UTF_8);
      }
    }
  },

  /** A base64 string (RFC 4648, standard alphabet, padded) carrying any bytes. */
  BINARY {
    @Override
    byte[] toBytes(Object json, String field) {
      if (json == null) {
        return null;
      }
      if (!(json instanceof String text)) {
        throw ErrorResponses.error(ErrorCode.INVALID_RECORD, field + " must be a base64 string in binary format");
      }
      try {
        return Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException e) {
        throw ErrorResponses.error(ErrorCode.INVALID_RECORD, field + " is not valid base64: " + e.getMessage());
      }
    }

    @Override
    Object toJson(byte[] bytes) {
      return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
    }
  };

  /** The bytes to store for a key or value given in a request; {@code field} names it in errors. */
  abstract byte[] toBytes(Object json, String field);

  /** The JSON value that stands for stored key or value bytes in a response. */
  abstract Object toJson(byte[] bytes);
}
