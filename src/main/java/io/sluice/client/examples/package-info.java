/**
 * Runnable examples of the Java client, compiled with the build so they cannot go stale. Each has a {@code main}
 * taking the bootstrap URL: {@code java -cp target/sluice.jar io.sluice.client.examples.ProduceExample
 * http://127.0.0.1:8080}.
 */
package io.sluice.client.examples;
