package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IcmpView;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;

/**
 * ICMP (RFC 792, RFC 1122 3.2.2): answers echo requests, sends destination unreachable
 * (rate-limited as Linux does, {@link IcmpRateLimit}), counts the rest. Thread-safe.
 */
public final class Icmp implements TransportHandler {
    /**
     * Linux icmp_send: the error carries as much of the original datagram as fits in 576 bytes
     * (RFC 1812 4.3.2.3: "as much of the original datagram as possible without the length of the
     * ICMP datagram exceeding 576 bytes"), less our IP and ICMP headers.
     */
    private static final int MAX_ERROR_PACKET = 576;

    private final IpOutput output;
    private final StackStats stats;
    private final IcmpRateLimit rateLimit;

    /** @param rateLimit the limits on ICMP errors, shared with ICMPv6 as Linux's global one is */
    public Icmp(IpOutput output, StackStats stats, IcmpRateLimit rateLimit) {
        this.output = output;
        this.stats = stats;
        this.rateLimit = rateLimit;
    }

    @Override
    public void receive(int queue, Ipv4View ip) {
        stats.inc(Counter.IcmpInMsgs);
        ByteBuf buf = ip.buf();
        int offset = ip.payloadOffset();
        int length = ip.payloadLength();
        if (length < IcmpView.HEADER_LENGTH || Checksum.compute(buf, offset, length) != 0) {
            stats.inc(Counter.IcmpInErrors);
            stats.inc(Counter.IcmpInCsumErrors);
            stats.drop(DropReason.ICMP_CSUM);
            return;
        }
        int type = buf.getUnsignedByte(offset);
        switch (type) {
            case IcmpView.TYPE_ECHO_REQUEST -> echoReply(queue, ip, offset, length);
            case IcmpView.TYPE_DEST_UNREACHABLE -> stats.inc(Counter.IcmpInDestUnreachs);
            default -> stats.drop(DropReason.ICMP_UNHANDLED);
        }
    }

    /** RFC 792 echo: the reply carries the request's identifier, sequence and data unchanged. */
    private void echoReply(int queue, Ipv4View request, int offset, int length) {
        stats.inc(Counter.IcmpInEchos);
        ByteBuf reply = output.allocate(length);
        int icmpOffset = reply.writerIndex();
        reply.writeBytes(request.buf(), offset, length);
        IcmpView icmp = new IcmpView().wrap(reply, icmpOffset);
        icmp.setType(IcmpView.TYPE_ECHO_REPLY);
        // computed again, not updated (RFC 1624 eqn. 3): for a message whose words sum to zero the
        // update gives 0x0000, which does not verify; only 0xffff does (found by PacketFuzzTest)
        icmp.fillChecksum(length);
        stats.inc(Counter.IcmpOutMsgs);
        stats.inc(Counter.IcmpOutEchoReps);
        output.send(queue, reply, IpProtocol.ICMP, request.source(), false);
    }

    /**
     * Sends destination unreachable with {@code code} about the packet {@code original} (RFC 792;
     * RFC 1122 3.2.2: never about an ICMP error, a fragment other than the first, or a non-unicast
     * source; the caller has already rejected the latter two).
     */
    public void sendDestinationUnreachable(int queue, Ipv4View original, int code) {
        if (original.protocol() == IpProtocol.ICMP && original.payloadLength() >= 1) {
            int type = original.buf().getUnsignedByte(original.payloadOffset());
            if (type != IcmpView.TYPE_ECHO_REQUEST && type != IcmpView.TYPE_ECHO_REPLY) {
                return;
            }
        }
        String limited = rateLimit.check(IcmpView.TYPE_DEST_UNREACHABLE, original.source());
        if (limited != null) {
            stats.inc(limited.equals("host") ? Counter.IcmpOutRateLimitHost : Counter.IcmpOutRateLimitGlobal);
            return;
        }
        int room = MAX_ERROR_PACKET - Ipv4View.MIN_HEADER_LENGTH - IcmpView.HEADER_LENGTH;
        int quoted = Math.min(original.totalLength(), room);
        ByteBuf packet = output.allocate(IcmpView.HEADER_LENGTH + quoted);
        int icmpOffset = packet.writerIndex();
        packet.writerIndex(icmpOffset + IcmpView.HEADER_LENGTH);
        packet.writeBytes(original.buf(), original.offset(), quoted);
        IcmpView icmp = new IcmpView().wrap(packet, icmpOffset);
        icmp.setType(IcmpView.TYPE_DEST_UNREACHABLE);
        icmp.setCode(code);
        icmp.setRestOfHeader(0);
        icmp.fillChecksum(IcmpView.HEADER_LENGTH + quoted);
        stats.inc(Counter.IcmpOutMsgs);
        stats.inc(Counter.IcmpOutDestUnreachs);
        output.send(queue, packet, IpProtocol.ICMP, original.source(), false);
    }
}
