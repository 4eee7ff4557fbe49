package io.sluice.record;

import io.sluice.errors.UnsupportedCompressionException;

/** The codec named by bits 0-2 of a v2 batch's attributes; the ids are Kafka's. */
public enum CompressionType {
  NONE(0, "none"),
  GZIP(1, "gzip"),
  SNAPPY(2, "snappy"),
  LZ4(3, "lz4"),
  ZSTD(4, "zstd");

  public final int id;
  public final String configName;

  CompressionType(int id, String configName) {
    this.id = id;
    this.configName = configName;
  }

  public static CompressionType forId(int id) {
    for (CompressionType t : values()) {
      if (t.id == id) {
        return t;
      }
    }
    throw new UnsupportedCompressionException("Unknown compression codec id " + id);
  }

  public static CompressionType forName(String name) {
    for (CompressionType t : values()) {
      if (t.configName.equalsIgnoreCase(name)) {
        return t;
      }
    }
    throw new UnsupportedCompressionException("Unknown compression codec '" + name + "'");
  }
}
