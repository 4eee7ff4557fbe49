/**
 * Kafka's RecordBatch v2 ("magic 2") format, byte-compatible with Kafka clients and logs.
 *
 * <ul>
 *   <li>{@link io.sluice.record.RecordBatchBuilder} writes a batch; {@link io.sluice.record.RecordBatch} reads,
 *       checks ({@code ensureValid} for frame and CRC, {@code validateRecords} for every record) and restamps one;
 *       {@link io.sluice.record.RecordBatches} cuts a buffer of concatenated batches into views.
 *   <li>{@link io.sluice.record.Compression} holds the codecs (gzip, snappy, lz4, zstd) with a decompression cap.
 *   <li>{@link io.sluice.record.ByteUtils} holds the zigzag varints records are framed with.
 *   <li>{@link io.sluice.record.Partitioner} is Kafka's default murmur2 key partitioner.
 * </ul>
 *
 * <p>Golden batches for every codec live in {@code src/test/resources/golden}; see {@code GoldenBatchesTest}.
 */
package io.sluice.record;
