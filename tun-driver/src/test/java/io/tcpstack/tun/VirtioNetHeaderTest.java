package io.tcpstack.tun;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

/** The link-layer offload work: inbound partial checksums and super-packets, outbound TSO headers. */
class VirtioNetHeaderTest {
    private static final int A = Ipv4Address.parse("198.18.0.1");
    private static final int B = Ipv4Address.parse("198.18.0.2");

    private static ByteBuf segment(int payload) {
        return new TcpSegment(A, B, 40000, 9, 1000, 2000, TcpView.ACK, 512, TcpSegment.Options.timestamps(1, 2),
                new byte[payload]).emit(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
    }

    /** The packet after a virtio-net header with the given fields (little-endian). */
    private static ByteBuf withHeader(ByteBuf packet, int flags, int gsoType, int csumStart, int csumOffset) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(flags).writeByte(gsoType).writeShortLE(0).writeShortLE(0).writeShortLE(csumStart).writeShortLE(csumOffset);
        b.writeBytes(packet, 0, packet.readableBytes());
        return b;
    }

    private static boolean tcpChecksumValid(ByteBuf b, int index, int length) {
        return new TcpView().wrap(b, index + 20, length - 20).checksumValid(A, B);
    }

    @Test
    void aPartialChecksumIsFilledAndASuperPacketHandedUpWhole() {
        ByteBuf packet = segment(20_000);
        int length = packet.readableBytes();
        // what the kernel leaves with CHECKSUM_PARTIAL: the pseudo-header sum, folded, not complemented
        packet.setShort(20 + 16, ~Checksum.fold(Checksum.pseudoHeader(A, B, 6, length - 20)));
        ByteBuf b = withHeader(packet, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 20, 16);
        assertThat(tcpChecksumValid(b, VirtioNetHeader.LENGTH, length)).isFalse();
        assertThat(VirtioNetHeader.complete(b, VirtioNetHeader.LENGTH, length)).isEqualTo(VirtioNetHeader.Verdict.SUPER);
        assertThat(tcpChecksumValid(b, VirtioNetHeader.LENGTH, length)).isTrue();
    }

    @Test
    void otherOffloadsAndAChecksumFieldOutsideThePacketAreRefused() {
        ByteBuf packet = segment(100);
        int length = packet.readableBytes();
        assertThat(VirtioNetHeader.complete(withHeader(packet, 0, 3 /* UDP */, 0, 0), VirtioNetHeader.LENGTH, length))
                .isEqualTo(VirtioNetHeader.Verdict.UNSUPPORTED);
        assertThat(VirtioNetHeader.complete(withHeader(packet, VirtioNetHeader.F_NEEDS_CSUM, 0, length, 16),
                VirtioNetHeader.LENGTH, length)).isEqualTo(VirtioNetHeader.Verdict.UNSUPPORTED);
        assertThat(VirtioNetHeader.complete(withHeader(packet, 0, 0, 0, 0), VirtioNetHeader.LENGTH, length))
                .isEqualTo(VirtioNetHeader.Verdict.PLAIN);
    }

    @Test
    void anOutboundSuperPacketGetsTsoAtTheMtuAndThePseudoHeaderSum() {
        Pointer mem = Memory.allocateDirect(Runtime.getSystemRuntime(), 16, true);
        ByteBuf small = segment(1448);
        assertThat(VirtioNetHeader.fillOutbound(mem, 4, small, 0, small.readableBytes(), 1500)).isTrue();
        assertThat(mem.getLong(4)).isZero();
        assertThat(mem.getShort(12)).isZero();

        ByteBuf big = segment(45 * 1448);
        int length = big.readableBytes();
        assertThat(VirtioNetHeader.fillOutbound(mem, 4, big, 0, length, 1500)).isTrue();
        assertThat(mem.getByte(4)).isEqualTo((byte) VirtioNetHeader.F_NEEDS_CSUM);
        assertThat(mem.getByte(5)).isEqualTo((byte) VirtioNetHeader.GSO_TCPV4);
        assertThat(mem.getShort(6)).as("hdr_len").isEqualTo((short) 52);
        assertThat(mem.getShort(8)).as("gso_size").isEqualTo((short) 1448);
        assertThat(mem.getShort(10)).as("csum_start").isEqualTo((short) 20);
        assertThat(mem.getShort(12)).as("csum_offset").isEqualTo((short) 16);
        assertThat(big.getUnsignedShort(36)).isEqualTo(~Checksum.fold(Checksum.pseudoHeader(A, B, 6, length - 20)) & 0xffff);
    }
}
