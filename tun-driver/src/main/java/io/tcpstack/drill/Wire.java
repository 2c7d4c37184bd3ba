package io.tcpstack.drill;

import io.tcpstack.drill.Script.Option;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Raw IPv4 packets for the runner, independent of the stack under test: inbound TCP segments
 * built with their options in exactly the order the script writes them (NOPs included), UDP
 * datagrams, and outbound packets parsed back into what a script can check.
 */
final class Wire {
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;
    static final int URG = 0x20;
    static final int ECE = 0x40;
    static final int CWR = 0x80;

    private Wire() {
    }

    /** An outbound packet as parsed. For TCP the options keep their order; {@code protocol} tells which fields apply. */
    record Parsed(int protocol, int tos, int ipId, int src, int dst, int srcPort, int dstPort, long seq, long ack,
            int flags, int window, int urgent, List<Option> options, int payloadLength, int icmpType, int icmpCode,
            byte[] raw) {
        int ecn() {
            return tos & 3;
        }
    }

    /** Flag letters in packetdrill's order (tcpdump's, with E for ECE and W for CWR); "" for none. */
    static String flagString(int flags) {
        return flags == 0 ? "" : io.tcpstack.wire.TcpView.flagString(flags);
    }

    static int flagBits(String letters) {
        int flags = 0;
        for (char c : letters.toCharArray()) {
            flags |= switch (c) {
                case 'S' -> SYN;
                case 'F' -> FIN;
                case 'R' -> RST;
                case 'P' -> PSH;
                case 'U' -> URG;
                case 'E' -> ECE;
                case 'W' -> CWR;
                case '.', 'A' -> ACK;
                default -> throw new IllegalArgumentException("flag letter " + c);
            };
        }
        return flags;
    }

    /** A TCP segment in an IPv4 packet (TTL 64, DF, IP ID 0), options in the given order. */
    static byte[] tcp(int src, int dst, int tos, int srcPort, int dstPort, long seq, long ack, int flags, int window,
            int urgent, List<Option> options, int payloadLength) {
        byte[] opts = encodeOptions(options);
        int tcpLength = 20 + opts.length + payloadLength;
        ByteBuffer b = ByteBuffer.allocate(20 + tcpLength);
        ipHeader(b, tos, 20 + tcpLength, TCP, src, dst);
        b.putShort((short) srcPort).putShort((short) dstPort).putInt((int) seq).putInt((int) ack);
        b.put((byte) (((20 + opts.length) / 4) << 4)).put((byte) flags).putShort((short) window);
        b.putShort((short) 0).putShort((short) urgent).put(opts);
        byte[] p = b.array();
        setTransportChecksum(p, TCP, 36);
        return p;
    }

    /** A UDP datagram of {@code length} zero bytes. */
    static byte[] udp(int src, int dst, int srcPort, int dstPort, int length) {
        ByteBuffer b = ByteBuffer.allocate(28 + length);
        ipHeader(b, 0, 28 + length, UDP, src, dst);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + length)).putShort((short) 0);
        byte[] p = b.array();
        setTransportChecksum(p, UDP, 26);
        return p;
    }

    private static void ipHeader(ByteBuffer b, int tos, int total, int protocol, int src, int dst) {
        b.put((byte) 0x45).put((byte) tos).putShort((short) total).putShort((short) 0).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) protocol).putShort((short) 0).putInt(src).putInt(dst);
        byte[] a = b.array();
        int sum = checksum(a, 0, 20, 0);
        a[10] = (byte) (sum >> 8);
        a[11] = (byte) sum;
    }

    private static void setTransportChecksum(byte[] p, int protocol, int checksumOffset) {
        int length = p.length - 20;
        long pseudo = 0;
        for (int i = 12; i < 20; i += 2) {
            pseudo += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        }
        pseudo += protocol + length;
        int sum = checksum(p, 20, length, pseudo);
        if (protocol == UDP && sum == 0) {
            sum = 0xffff;
        }
        p[checksumOffset] = (byte) (sum >> 8);
        p[checksumOffset + 1] = (byte) sum;
    }

    static int checksum(byte[] a, int offset, int length, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += ((a[offset + i] & 0xff) << 8) | (a[offset + i + 1] & 0xff);
        }
        if ((length & 1) != 0) {
            sum += (a[offset + length - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    static byte[] encodeOptions(List<Option> options) {
        ByteBuffer b = ByteBuffer.allocate(64);
        for (Option o : options) {
            switch (o.kind()) {
                case "nop" -> b.put((byte) 1);
                case "eol" -> b.put((byte) 0);
                case "mss" -> b.put((byte) 2).put((byte) 4).putShort((short) o.a());
                case "wscale" -> b.put((byte) 3).put((byte) 3).put((byte) o.a());
                case "sackOK" -> b.put((byte) 4).put((byte) 2);
                case "TS" -> b.put((byte) 8).put((byte) 10).putInt((int) o.a()).putInt((int) o.b());
                case "sack" -> {
                    b.put((byte) 5).put((byte) (2 + 4 * o.sack().length));
                    for (long s : o.sack()) {
                        b.putInt((int) s);
                    }
                }
                default -> throw new IllegalArgumentException("option " + o.kind());
            }
        }
        while (b.position() % 4 != 0) {
            b.put((byte) 0); // EOL padding, as packetdrill pads
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** Parses an IPv4 packet the system under test sent; null if it is not IPv4. */
    static Parsed parse(byte[] p) {
        if (p.length < 20 || (p[0] >> 4) != 4) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(p);
        int ihl = (p[0] & 0xf) * 4;
        int tos = p[1] & 0xff;
        int total = Math.min(b.getShort(2) & 0xffff, p.length);
        int id = b.getShort(4) & 0xffff;
        int protocol = p[9] & 0xff;
        int src = b.getInt(12);
        int dst = b.getInt(16);
        if (protocol == TCP && total >= ihl + 20) {
            int t = ihl;
            int dataOffset = ((p[t + 12] & 0xff) >> 4) * 4;
            List<Option> options = decodeOptions(p, t + 20, dataOffset - 20);
            return new Parsed(TCP, tos, id, src, dst, b.getShort(t) & 0xffff, b.getShort(t + 2) & 0xffff,
                    b.getInt(t + 4) & 0xffffffffL, b.getInt(t + 8) & 0xffffffffL, p[t + 13] & 0xff,
                    b.getShort(t + 14) & 0xffff, b.getShort(t + 18) & 0xffff, options, total - ihl - dataOffset, 0,
                    0, p);
        }
        if (protocol == UDP && total >= ihl + 8) {
            return new Parsed(UDP, tos, id, src, dst, b.getShort(ihl) & 0xffff, b.getShort(ihl + 2) & 0xffff, 0, 0,
                    0, 0, 0, List.of(), total - ihl - 8, 0, 0, p);
        }
        if (protocol == ICMP && total >= ihl + 8) {
            return new Parsed(ICMP, tos, id, src, dst, 0, 0, 0, 0, 0, 0, 0, List.of(), total - ihl - 8,
                    p[ihl] & 0xff, p[ihl + 1] & 0xff, p);
        }
        return new Parsed(protocol, tos, id, src, dst, 0, 0, 0, 0, 0, 0, 0, List.of(), total - ihl, 0, 0, p);
    }

    private static List<Option> decodeOptions(byte[] p, int offset, int length) {
        List<Option> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(p);
        int i = offset;
        int end = Math.min(offset + Math.max(length, 0), p.length);
        while (i < end) {
            int kind = p[i] & 0xff;
            if (kind == 0) {
                break; // EOL: the rest is padding
            }
            if (kind == 1) {
                out.add(Option.of("nop"));
                i++;
                continue;
            }
            if (i + 1 >= end) {
                break;
            }
            int len = p[i + 1] & 0xff;
            if (len < 2 || i + len > end) {
                out.add(new Option("bad", kind, len, null));
                break;
            }
            switch (kind) {
                case 2 -> out.add(new Option("mss", b.getShort(i + 2) & 0xffff, 0, null));
                case 3 -> out.add(new Option("wscale", p[i + 2] & 0xff, 0, null));
                case 4 -> out.add(Option.of("sackOK"));
                case 8 -> out.add(new Option("TS", b.getInt(i + 2) & 0xffffffffL, b.getInt(i + 6) & 0xffffffffL, null));
                case 5 -> {
                    long[] blocks = new long[(len - 2) / 4];
                    for (int k = 0; k < blocks.length; k++) {
                        blocks[k] = b.getInt(i + 2 + 4 * k) & 0xffffffffL;
                    }
                    out.add(new Option("sack", 0, 0, blocks));
                }
                default -> out.add(new Option("kind" + kind, kind, len, null));
            }
            i += len;
        }
        return out;
    }
}
