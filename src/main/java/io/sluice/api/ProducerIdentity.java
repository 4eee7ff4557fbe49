package io.sluice.api;

import java.io.Serializable;
/** An idempotent producer's id and epoch, unique across the cluster. */
public record ProducerIdentity(long producerId, short producerEpoch) implements Serializable {
}
