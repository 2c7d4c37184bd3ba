package io.tcpstack.link;

import io.tcpstack.trace.PcapLadder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the IP packets of a capture: classic pcap (microsecond or nanosecond, either byte order)
 * as tcpdump and {@link PcapWriter} write it, and pcapng as dumpcap and tshark do. Link types:
 * raw IP (what TUN captures and our writer give), Ethernet (a veth or NIC, with 802.1Q tags),
 * Linux cooked v1 and v2 ({@code tcpdump -i any}) and BSD null/loopback. Packets of other kinds
 * (ARP, LLDP...) are skipped; a damaged file gives an IOException naming the offset.
 */
public final class PcapReader {
    /** One captured IP packet (IPv4 or IPv6, from its first byte) and when it was captured. */
    public record Packet(long epochNanos, byte[] ip) implements PcapLadder.Captured {
    }

    static final int LINKTYPE_NULL = 0;
    static final int LINKTYPE_ETHERNET = 1;
    static final int LINKTYPE_RAW_OLD = 12;
    static final int LINKTYPE_LINUX_SLL = 113;
    static final int LINKTYPE_IPV4 = 228;
    static final int LINKTYPE_IPV6 = 229;
    static final int LINKTYPE_LINUX_SLL2 = 276;

    private PcapReader() {
    }

    public static List<Packet> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 24) {
            throw new IOException(file + ": not a capture file (" + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int magic = b.order(ByteOrder.BIG_ENDIAN).getInt(0);
        try {
            if (magic == 0x0a0d0d0a) {
                return pcapng(b);
            }
            return pcap(b, magic);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new IOException(file + ": damaged capture (" + e.getMessage() + ")", e);
        }
    }

    private static List<Packet> pcap(ByteBuffer b, int magic) throws IOException {
        long unit;
        switch (magic) {
            case 0xa1b2c3d4 -> { b.order(ByteOrder.BIG_ENDIAN); unit = 1000; }
            case 0xd4c3b2a1 -> { b.order(ByteOrder.LITTLE_ENDIAN); unit = 1000; }
            case 0xa1b23c4d -> { b.order(ByteOrder.BIG_ENDIAN); unit = 1; }
            case 0x4d3cb2a1 -> { b.order(ByteOrder.LITTLE_ENDIAN); unit = 1; }
            default -> throw new IOException(String.format("not a pcap or pcapng file (magic %08x)", magic));
        }
        int linkType = b.getInt(20) & 0x0fffffff;
        List<Packet> packets = new ArrayList<>();
        int at = 24;
        while (at + 16 <= b.limit()) {
            long seconds = Integer.toUnsignedLong(b.getInt(at));
            long fraction = Integer.toUnsignedLong(b.getInt(at + 4));
            int captured = b.getInt(at + 8);
            if (captured < 0 || at + 16 + captured > b.limit()) {
                throw new IllegalArgumentException("record at offset " + at + " runs past the end");
            }
            add(packets, seconds * 1_000_000_000L + fraction * unit, linkType, b, at + 16, captured);
            at += 16 + captured;
        }
        return packets;
    }

    /** pcapng (draft-ietf-opsawg-pcapng): section, interface and packet blocks; others skipped. */
    private static List<Packet> pcapng(ByteBuffer b) {
        List<Packet> packets = new ArrayList<>();
        Map<Integer, int[]> interfaces = new HashMap<>(); // id -> {link type, resolution code}
        ByteOrder order = ByteOrder.BIG_ENDIAN;
        int at = 0;
        while (at + 12 <= b.limit()) {
            int type = b.order(order).getInt(at);
            if (type == 0x0a0d0d0a) { // a section header (the same both ways round) sets the byte order
                order = b.order(ByteOrder.BIG_ENDIAN).getInt(at + 8) == 0x1a2b3c4d ? ByteOrder.BIG_ENDIAN
                        : ByteOrder.LITTLE_ENDIAN;
                b.order(order);
                interfaces.clear();
            }
            int length = b.getInt(at + 4);
            if (length < 12 || at + length > b.limit()) {
                throw new IllegalArgumentException("block at offset " + at + " has length " + length);
            }
            switch (type) {
                case 1 -> interfaces.put(interfaces.size(), new int[] {b.getShort(at + 8) & 0xffff,
                        resolution(b, at + 16, at + length - 4)});
                case 6 -> {
                    int[] iface = interfaces.getOrDefault(b.getInt(at + 8), new int[] {LINKTYPE_RAW_OLD, 6});
                    long ts = (Integer.toUnsignedLong(b.getInt(at + 12)) << 32) | Integer.toUnsignedLong(b.getInt(at + 16));
                    add(packets, nanos(ts, iface[1]), iface[0], b, at + 28, b.getInt(at + 20));
                }
                case 3 -> {
                    int[] iface = interfaces.getOrDefault(0, new int[] {LINKTYPE_RAW_OLD, 6});
                    add(packets, 0, iface[0], b, at + 12, Math.min(b.getInt(at + 8), length - 16));
                }
                default -> {
                    // name resolution, statistics, custom blocks: nothing to draw
                }
            }
            at += length;
        }
        return packets;
    }

    /** if_tsresol (option 9): 10^-n seconds, or 2^-n with the high bit set; 6 (microseconds) when absent. */
    private static int resolution(ByteBuffer b, int from, int to) {
        int at = from;
        while (at + 4 <= to) {
            int code = b.getShort(at) & 0xffff;
            int length = b.getShort(at + 2) & 0xffff;
            if (code == 0) {
                break;
            }
            if (code == 9 && length >= 1) {
                return b.get(at + 4) & 0xff;
            }
            at += 4 + ((length + 3) & ~3);
        }
        return 6;
    }

    private static long nanos(long ts, int resolution) {
        if ((resolution & 0x80) != 0) {
            int shift = resolution & 0x7f;
            return (long) (ts / Math.pow(2, shift) * 1e9);
        }
        long perSecond = (long) Math.pow(10, resolution);
        return ts / perSecond * 1_000_000_000L + (ts % perSecond) * 1_000_000_000L / perSecond;
    }

    /** Strips the link header; keeps IPv4 and IPv6 packets. */
    private static void add(List<Packet> packets, long nanos, int linkType, ByteBuffer file, int at, int length) {
        ByteBuffer b = file.duplicate().order(ByteOrder.BIG_ENDIAN); // the packet itself is in network order
        int ip = at;
        int end = at + length;
        switch (linkType) {
            case LINKTYPE_ETHERNET -> {
                if (length < 14) {
                    return;
                }
                int etherType = b.getShort(at + 12) & 0xffff;
                ip = at + 14;
                while ((etherType == 0x8100 || etherType == 0x88a8) && ip + 4 <= end) {
                    etherType = b.getShort(ip + 2) & 0xffff;
                    ip += 4;
                }
                if (etherType != 0x0800 && etherType != 0x86dd) {
                    return;
                }
            }
            case LINKTYPE_LINUX_SLL -> ip = at + 16;
            case LINKTYPE_LINUX_SLL2 -> ip = at + 20;
            case LINKTYPE_NULL -> ip = at + 4;
            default -> {
                // raw IP: LINKTYPE_RAW (101), 12, 14, IPV4, IPV6
            }
        }
        if (ip >= end) {
            return;
        }
        int version = (b.get(ip) & 0xff) >>> 4;
        if (version != 4 && version != 6) {
            return;
        }
        byte[] packet = new byte[end - ip];
        b.get(ip, packet);
        packets.add(new Packet(nanos, packet));
    }
}
