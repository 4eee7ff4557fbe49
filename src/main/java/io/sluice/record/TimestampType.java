package io.sluice.record;

/** Bit 3 of a v2 batch's attributes: who set the record timestamps. */
public enum TimestampType {
  CREATE_TIME,
  LOG_APPEND_TIME
}
