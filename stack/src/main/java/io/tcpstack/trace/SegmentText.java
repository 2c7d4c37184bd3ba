package io.tcpstack.trace;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP segment as traces print it, {@code FLAGS seq=N ack=N win=N len=N}, then the SYN's options
 * or the SACK blocks in angle brackets ({@code <mss 1460,sackOK,TS val 1 ecr 0,wscale 7>},
 * {@code <sack 100-200>}): one text for a segment on both sides of the wire, so a ladder can pair
 * what one stack sent with what the other received, and read the numbers back.
 */
public final class SegmentText {
    private static final Pattern SEGMENT = Pattern.compile(
            "^(none|[SFRPUEW.]*) ?seq=(\\d+) ack=(\\d+) win=(\\d+) len=(\\d+)(?: <([^>]*)>)?");
    private static final Pattern MSS = Pattern.compile("mss (\\d+)");
    private static final Pattern WSCALE = Pattern.compile("wscale (\\d+)");
    private static final Pattern TS = Pattern.compile("TS val (\\d+) ecr (\\d+)");

    private SegmentText() {
    }

    /**
     * The fields of a segment, sequence numbers as unsigned 32-bit values in ints; {@code tsVal}
     * -1 (as long) when the text shows no timestamp, {@code sack} the SACK blocks as pairs.
     */
    public record Fields(int flags, int seq, int ack, int window, int length, int mss, int wscale, boolean sackOk,
            long tsVal, long tsEcr, int[] sack, String text) {

        public boolean has(int flag) {
            return (flags & flag) != 0;
        }

        /** SEG.LEN: payload plus SYN plus FIN. */
        public int seqLength() {
            return length + (has(TcpView.SYN) ? 1 : 0) + (has(TcpView.FIN) ? 1 : 0);
        }
    }

    public static String describe(int flags, int seq, int ack, int window, int length, TcpOptions o) {
        StringBuilder sb = new StringBuilder(80).append(TcpView.flagString(flags)).append(" seq=")
                .append(Integer.toUnsignedString(seq)).append(" ack=").append(Integer.toUnsignedString(ack))
                .append(" win=").append(window).append(" len=").append(length);
        StringBuilder opts = new StringBuilder();
        if ((flags & TcpView.SYN) != 0) {
            if (o.mss > 0) {
                opts.append(",mss ").append(o.mss);
            }
            if (o.sackPermitted) {
                opts.append(",sackOK");
            }
            if (o.hasTimestamp) {
                opts.append(",TS val ").append(Integer.toUnsignedString(o.tsVal)).append(" ecr ")
                        .append(Integer.toUnsignedString(o.tsEcr));
            }
            if (o.wscale >= 0) {
                opts.append(",wscale ").append(o.wscale);
            }
        } else if (o.sackBlockCount > 0) {
            opts.append(",sack");
            for (int b = 0; b < o.sackBlockCount; b++) {
                opts.append(' ').append(Integer.toUnsignedString(o.sackBlocks[2 * b])).append('-')
                        .append(Integer.toUnsignedString(o.sackBlocks[2 * b + 1]));
            }
        }
        if (opts.length() > 0) {
            sb.append(" <").append(opts, 1, opts.length()).append('>');
        }
        return sb.toString();
    }

    /** The segment at {@code offset} (its TCP header) in {@code buf}. */
    public static String describe(ByteBuf buf, int offset, int length) {
        TcpView v = new TcpView().wrap(buf, offset, length);
        TcpOptions o = new TcpOptions().parse(buf, v.optionsOffset(), v.optionsLength(), (v.flags() & TcpView.SYN) != 0);
        return describe(v.flags(), v.seq(), v.ack(), v.window(), v.payloadLength(), o);
    }

    /** The TCP segment of an IPv4 packet (readable bytes), as {@link #describe} writes it. */
    public static String ofPacket(ByteBuf packet) {
        int ip = packet.readerIndex();
        int ihl = (packet.getUnsignedByte(ip) & 0x0f) * 4;
        int total = Math.min(packet.getUnsignedShort(ip + 2), packet.readableBytes());
        return describe(packet, ip + ihl, total - ihl);
    }

    /** "source:port destination:port" of an IPv4 packet carrying TCP. */
    public static String endpoints(ByteBuf packet) {
        int ip = packet.readerIndex();
        int tcp = ip + (packet.getUnsignedByte(ip) & 0x0f) * 4;
        return Ipv4Address.format(packet.getInt(ip + 12)) + ":" + packet.getUnsignedShort(tcp) + " "
                + Ipv4Address.format(packet.getInt(ip + 16)) + ":" + packet.getUnsignedShort(tcp + 2);
    }

    /** tcpdump's flag letters as {@link TcpView#flagString} writes them ("S.", "FP.", "R") as header bits. */
    public static int flags(String letters) {
        int flags = 0;
        for (char c : letters.toCharArray()) {
            flags |= switch (c) {
                case 'S' -> TcpView.SYN;
                case 'F' -> TcpView.FIN;
                case 'R' -> TcpView.RST;
                case 'P' -> TcpView.PSH;
                case 'U' -> TcpView.URG;
                case 'E' -> TcpView.ECE;
                case 'W' -> TcpView.CWR;
                case '.' -> TcpView.ACK;
                default -> throw new IllegalArgumentException("flag letter " + c);
            };
        }
        return flags;
    }

    /** Reads a segment from the start of {@code text}, or returns null if it does not start with one. */
    public static Fields parse(String text) {
        Matcher m = SEGMENT.matcher(text);
        if (!m.find()) {
            return null;
        }
        int flags = flags(m.group(1).equals("none") ? "" : m.group(1));
        String opts = m.group(6) == null ? "" : m.group(6);
        int mss = -1;
        int wscale = -1;
        long tsVal = -1;
        long tsEcr = -1;
        int[] sack = new int[0];
        Matcher o = MSS.matcher(opts);
        if (o.find()) {
            mss = Integer.parseInt(o.group(1));
        }
        o = WSCALE.matcher(opts);
        if (o.find()) {
            wscale = Integer.parseInt(o.group(1));
        }
        o = TS.matcher(opts);
        if (o.find()) {
            tsVal = Long.parseLong(o.group(1));
            tsEcr = Long.parseLong(o.group(2));
        }
        if (opts.startsWith("sack ")) {
            String[] blocks = opts.substring(5).split(" ");
            sack = new int[2 * blocks.length];
            for (int b = 0; b < blocks.length; b++) {
                String[] lr = blocks[b].split("-");
                sack[2 * b] = (int) Long.parseLong(lr[0]);
                sack[2 * b + 1] = (int) Long.parseLong(lr[1]);
            }
        }
        return new Fields(flags, (int) Long.parseLong(m.group(2)), (int) Long.parseLong(m.group(3)),
                Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), mss, wscale, opts.contains("sackOK"), tsVal,
                tsEcr, sack, m.group(0));
    }
}
