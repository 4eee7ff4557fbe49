package io.sluice.schema;

/**
 * A refusal in Confluent Schema Registry's own terms: its {@code error_code} (40401 subject not found, 42201 invalid
 * schema, ...) and the HTTP status it answers with, so that Confluent's clients, which branch on the code, read it.
 */
final class RegistryException extends RuntimeException {
  static final int SUBJECT_NOT_FOUND = 40401;
  static final int VERSION_NOT_FOUND = 40402;
  static final int SCHEMA_NOT_FOUND = 40403;
  static final int SUBJECT_SOFT_DELETED = 40404;
  static final int SUBJECT_NOT_SOFT_DELETED = 40405;
  static final int VERSION_SOFT_DELETED = 40406;
  static final int VERSION_NOT_SOFT_DELETED = 40407;
  static final int SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408;
  static final int SUBJECT_MODE_NOT_CONFIGURED = 40409;
  static final int INCOMPATIBLE = 409;
  static final int INVALID_SCHEMA = 42201;
  static final int INVALID_VERSION = 42202;
  static final int INVALID_COMPATIBILITY_LEVEL = 42203;
  static final int INVALID_MODE = 42204;
  static final int OPERATION_NOT_PERMITTED = 42205;
  static final int REFERENCE_EXISTS = 42206;
  static final int STORE_ERROR = 50001;

  private final int errorCode;

  RegistryException(int errorCode, String message) {
    super(message, null, false, false);
    this.errorCode = errorCode;
  }

  int errorCode() {
    return errorCode;
  }

  /** Confluent's status: the code's first three digits (409 stands alone). */
  int httpStatus() {
    return errorCode < 1000 ? errorCode : errorCode / 100;
  }

  static RegistryException subjectNotFound(String subject) {
    return new RegistryException(SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
  }

  static RegistryException versionNotFound(int version) {
    return new RegistryException(VERSION_NOT_FOUND, "Version " + version + " not found.");
  }

  static RegistryException schemaNotFound(String what) {
    return new RegistryException(SCHEMA_NOT_FOUND, "Schema " + what + " not found");
  }

  static RegistryException invalidSchema(String message) {
    return new RegistryException(INVALID_SCHEMA, message);
  }
}
