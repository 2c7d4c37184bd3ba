package io.tcpstack.ip;

import io.tcpstack.wire.Ipv6View;

/** An upper-layer protocol's IPv6 input: called on the reader thread of the queue the packet came in on. */
@FunctionalInterface
public interface Ipv6Transport {

    /**
     * Handles a validated IPv6 packet addressed to this host, its extension headers walked: the
     * upper-layer header is at {@link Ipv6View#payloadOffset()}. {@code ip} views a buffer that is
     * only valid during the call.
     */
    void receive(int queue, Ipv6View ip);

    /**
     * An ICMPv6 error about a packet this host sent (RFC 4443 2.4 (b), Linux icmpv6_notify):
     * {@code quoted} views the packet as the error quotes it, its upper-layer header at {@link
     * Ipv6View#payloadOffset()} (at least 8 bytes of it). {@code info} is the message's 32-bit
     * field (the MTU of a Packet Too Big). Only valid during the call.
     */
    default void error(int queue, int type, int code, int info, Ipv6View quoted) {
    }
}
