package io.sluice.broker.rpc;

import java.io.Serializable;

/** The value a remote call completed with (null for {@code Future<Void>}). */
record Reply(Object value) implements Serializable {
}
