package io.sluice.connect.jdbc;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Calendar;
import java.util.TimeZone;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Mapping between SQL column types and Kafka Connect schemas, both ways, as Confluent's JDBC connectors map them.
 * Dates and times are read and written in UTC (Confluent's default {@code db.timezone}).
 */
final class SqlTypes {
  static final Calendar UTC = Calendar.getInstance(TimeZone.getTimeZone("UTC"));

  private SqlTypes() {
  }

  /** The Connect schema of result column {@code col} (1-based), optional when the column is nullable. */
  static Schema schemaOf(ResultSetMetaData md, int col) throws SQLException {
    SchemaBuilder b = switch (md.getColumnType(col)) {
      case Types.BOOLEAN, Types.BIT -> SchemaBuilder.bool();
      case Types.TINYINT -> SchemaBuilder.int8();
      case Types.SMALLINT -> SchemaBuilder.int16();
      case Types.INTEGER -> SchemaBuilder.int32();
      case Types.BIGINT -> SchemaBuilder.int64();
      case Types.REAL, Types.FLOAT -> SchemaBuilder.float32();
      case Types.DOUBLE -> SchemaBuilder.float64();
      case Types.NUMERIC, Types.DECIMAL -> Decimal.builder(Math.max(0, md.getScale(col)));
      case Types.DATE -> Date.builder();
      case Types.TIME, Types.TIME_WITH_TIMEZONE -> Time.builder();
      case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> Timestamp.builder();
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> SchemaBuilder.bytes();
      default -> SchemaBuilder.string();
    };
    if (md.isNullable(col) != ResultSetMetaData.columnNoNulls) {
      b.optional();
    }
    return b.build();
  }

  /** Column {@code col}'s value as the Connect type of {@code schema}. */
  static Object read(ResultSet rs, int col, Schema schema) throws SQLException {
    Object v;
    if (schema.name() != null) {
      v = switch (schema.name()) {
        case Decimal.LOGICAL_NAME -> scaled(rs.getBigDecimal(col), schema);
        case Date.LOGICAL_NAME -> rs.getDate(col, (Calendar) UTC.clone());
        case Time.LOGICAL_NAME -> rs.getTime(col, (Calendar) UTC.clone());
        case Timestamp.LOGICAL_NAME -> timestamp(rs.getTimestamp(col, (Calendar) UTC.clone()));
        default -> rs.getString(col);
      };
    } else {
      v = switch (schema.type()) {
        case BOOLEAN -> rs.getBoolean(col);
        case INT8 -> rs.getByte(col);
        case INT16 -> rs.getShort(col);
        case INT32 -> rs.getInt(col);
        case INT64 -> rs.getLong(col);
        case FLOAT32 -> rs.getFloat(col);
        case FLOAT64 -> rs.getDouble(col);
        case BYTES -> rs.getBytes(col);
        default -> rs.getString(col);
      };
    }
    return rs.wasNull() ? null : v;
  }

  private static java.util.Date timestamp(java.sql.Timestamp ts) {
    return ts == null ? null : new java.util.Date(ts.getTime());
  }

  private static BigDecimal scaled(BigDecimal d, Schema schema) {
    if (d == null) {
      return null;
    }
    int scale = Integer.parseInt(schema.parameters().get(Decimal.SCALE_FIELD));
    return d.setScale(scale, java.math.RoundingMode.UNNECESSARY);
  }

  /** The SQL type a column of {@code schema} gets when the sink creates or evolves a table (PostgreSQL names). */
  static String sqlType(Schema schema) {
    if (schema.name() != null) {
      switch (schema.name()) {
        case Decimal.LOGICAL_NAME:
          return "NUMERIC";
        case Date.LOGICAL_NAME:
          return "DATE";
        case Time.LOGICAL_NAME:
          return "TIME";
        case Timestamp.LOGICAL_NAME:
          return "TIMESTAMP";
        default:
          break;
      }
    }
    return switch (schema.type()) {
      case BOOLEAN -> "BOOLEAN";
      case INT8, INT16 -> "SMALLINT";
      case INT32 -> "INTEGER";
      case INT64 -> "BIGINT";
      case FLOAT32 -> "REAL";
      case FLOAT64 -> "DOUBLE PRECISION";
      case STRING -> "TEXT";
      case BYTES -> "BYTEA";
      default -> throw new ConnectException("Unsupported field type " + schema.type()
          + " for a column: the JDBC sink writes primitive and logical types only (flatten structs first)");
    };
  }

  /** Binds {@code value} of {@code schema} to parameter {@code idx}. */
  static void bind(PreparedStatement ps, int idx, Schema schema, Object value) throws SQLException {
    if (value == null) {
      ps.setNull(idx, nullType(schema));
      return;
    }
    if (schema.name() != null) {
      switch (schema.name()) {
        case Date.LOGICAL_NAME:
          ps.setDate(idx, new java.sql.Date(((java.util.Date) value).getTime()), (Calendar) UTC.clone());
          return;
        case Time.LOGICAL_NAME:
          ps.setTime(idx, new java.sql.Time(((java.util.Date) value).getTime()), (Calendar) UTC.clone());
          return;
        case Timestamp.LOGICAL_NAME:
          ps.setTimestamp(idx, new java.sql.Timestamp(((java.util.Date) value).getTime()), (Calendar) UTC.clone());
          return;
        default:
          break;
      }
    }
    switch (schema.type()) {
      case BYTES -> ps.setBytes(idx, value instanceof java.nio.ByteBuffer b ? bytes(b) : (byte[]) value);
      case INT8 -> ps.setShort(idx, ((Byte) value).shortValue());
      default -> ps.setObject(idx, value);
    }
  }

  private static byte[] bytes(java.nio.ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static int nullType(Schema schema) {
    if (schema.name() != null) {
      switch (schema.name()) {
        case Decimal.LOGICAL_NAME:
          return Types.NUMERIC;
        case Date.LOGICAL_NAME:
          return Types.DATE;
        case Time.LOGICAL_NAME:
          return Types.TIME;
        case Timestamp.LOGICAL_NAME:
          return Types.TIMESTAMP;
        default:
          break;
      }
    }
    return switch (schema.type()) {
      case BOOLEAN -> Types.BOOLEAN;
      case INT8, INT16 -> Types.SMALLINT;
      case INT32 -> Types.INTEGER;
      case INT64 -> Types.BIGINT;
      case FLOAT32 -> Types.REAL;
      case FLOAT64 -> Types.DOUBLE;
      case BYTES -> Types.BINARY;
      default -> Types.VARCHAR;
    };
  }
}
