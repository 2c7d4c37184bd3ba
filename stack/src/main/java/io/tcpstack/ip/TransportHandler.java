package io.tcpstack.ip;

import io.tcpstack.wire.Ipv4View;

/** A transport protocol's input: called on the reader thread of the queue the packet came in on. */
@FunctionalInterface
public interface TransportHandler {

    /**
     * Handles a validated IPv4 packet addressed to this host. {@code ip} views a buffer that is
     * only valid during the call.
     */
    void receive(int queue, Ipv4View ip);
}
