/**
 * Broker-to-broker calls: typed request/reply over the clustered event bus. A broker serves an interface of the
 * contract ({@code BrokerService}, {@code ConsumerService}) at an address with {@link io.sluice.broker.rpc.BrokerRpc#serve};
 * another calls one of its methods with {@link io.sluice.broker.rpc.BrokerRpc#call}, so a new remote operation is a
 * new method on the interface, nothing else. Arguments and results cross as {@link io.sluice.broker.rpc.RpcCodec}
 * encodes them.
 */
package io.sluice.broker.rpc;
