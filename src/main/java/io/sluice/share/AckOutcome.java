package io.sluice.share;

import io.sluice.errors.ErrorCode;
import java.io.Serializable;

/** Why one acknowledgement was refused (null in a list of outcomes: it was applied). */
public record AckOutcome(ErrorCode errorCode, String message) implements Serializable {
}
