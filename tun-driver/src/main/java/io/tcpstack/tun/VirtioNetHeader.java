package io.tcpstack.tun;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.TcpView;

/**
 * The virtio-net header (linux/virtio_net.h, {@code struct virtio_net_hdr}) that a TUN device
 * opened with {@code IFF_VNET_HDR} puts before every packet, and the link-layer offload work it
 * asks for, so that the protocol engine only ever sees complete IPv4 packets:
 *
 * <ul>
 *   <li>{@code VIRTIO_NET_HDR_F_NEEDS_CSUM}: the kernel left the transport checksum partial (the
 *       pseudo-header sum sits in the checksum field); we fill it, as skb_checksum_help does.
 *   <li>{@code VIRTIO_NET_HDR_GSO_TCPV4}: a TSO super-packet of up to 64 KiB with one IPv4 and
 *       one TCP header whose total length covers it all (as GRO would have merged it). It is
 *       handed up whole: TCP input takes a segment of any length within the window.
 * </ul>
 *
 * Little-endian fields (x86; the device's default without TUNSETVNETBE): flags u8, gso_type u8,
 * hdr_len u16, gso_size u16, csum_start u16, csum_offset u16.
 */
final class VirtioNetHeader {
    private VirtioNetHeader() {}

    static final int LENGTH = 10;
    static final int F_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_ECN = 0x80;

    /** Largest TSO super-packet we hand the kernel (IPv4 total length is 16 bits). */
    static final int MAX_SUPER_PACKET = 65535;

    /**
     * Fills the header at offset {@code at} of native memory {@code mem} for the outbound packet of
     * {@code length} bytes at {@code index} of {@code buf}: zero for a packet within {@code mtu};
     * for a larger IPv4/TCP one, TSO with segments of {@code mtu} and a partial checksum (the
     * kernel requires NEEDS_CSUM with GSO), whose field gets the pseudo-header sum as Linux's
     * __tcp_v4_send_check leaves it. Returns false for a large packet it cannot describe.
     */
    static boolean fillOutbound(jnr.ffi.Pointer mem, int at, ByteBuf buf, int index, int length, int mtu) {
        mem.putLong(at, 0);
        mem.putShort(at + 8, (short) 0);
        if (length <= mtu) {
            return true;
        }
        int ihl = (buf.getUnsignedByte(index) & 0x0f) * 4;
        if ((buf.getUnsignedByte(index) >>> 4) != 4 || buf.getUnsignedByte(index + 9) != IpProtocol.TCP
                || length < ihl + TcpView.MIN_HEADER_LENGTH) {
            return false;
        }
        int tcpHeader = (buf.getUnsignedByte(index + ihl + 12) >>> 4) * 4;
        int pseudo = Checksum.fold(Checksum.pseudoHeader(buf.getInt(index + 12), buf.getInt(index + 16), IpProtocol.TCP,
                length - ihl));
        buf.setShort(index + ihl + 16, ~pseudo);
        mem.putByte(at, (byte) F_NEEDS_CSUM);
        mem.putByte(at + 1, (byte) GSO_TCPV4);
        mem.putShort(at + 2, (short) (ihl + tcpHeader));
        mem.putShort(at + 4, (short) (mtu - ihl - tcpHeader));
        mem.putShort(at + 6, (short) ihl);
        mem.putShort(at + 8, (short) 16);
        return true;
    }

    /** What {@link #complete} made of a packet. */
    enum Verdict {
        /** A plain packet, checksums complete. */
        PLAIN,
        /** A TCPv4 super-packet, checksums complete, to be handed up whole. */
        SUPER,
        /** A GSO type we never enabled (UDP, TCPv6): not for us. */
        UNSUPPORTED
    }

    /**
     * Completes the packet of {@code length} bytes at {@code index}, whose header is the {@link
     * #LENGTH} bytes before it: fills a partial checksum and classifies GSO.
     */
    static Verdict complete(ByteBuf buf, int index, int length) {
        int header = index - LENGTH;
        int flags = buf.getUnsignedByte(header);
        int gsoType = buf.getUnsignedByte(header + 1) & ~GSO_ECN;
        if (gsoType != GSO_NONE && gsoType != GSO_TCPV4) {
            return Verdict.UNSUPPORTED;
        }
        if ((flags & F_NEEDS_CSUM) != 0) {
            int start = buf.getUnsignedShortLE(header + 6);
            int field = start + buf.getUnsignedShortLE(header + 8);
            if (field + 2 > length) {
                return Verdict.UNSUPPORTED;
            }
            buf.setShort(index + field, Checksum.compute(buf, index + start, length - start));
        }
        return gsoType == GSO_TCPV4 ? Verdict.SUPER : Verdict.PLAIN;
    }
}
