package io.tcpstack.trace;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.wire.TcpView;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link LadderModel} from captured packets (any pcap: the daemon's, or tcpdump's of
 * two kernels talking): the TCP segments between the hosts, numbered as Wireshark numbers them,
 * and annotated with what the packets alone show, since nothing recorded why they were sent:
 * retransmission, out of order, previous segment not captured, duplicate ACK, window update,
 * zero window, window probe, keep-alive (the rules of Wireshark's TCP analysis).
 */
public final class PcapLadder {
    /** A captured IP packet (IPv4 or IPv6 from its first byte) and its capture time. */
    public interface Captured {
        long epochNanos();

        byte[] ip();
    }

    private PcapLadder() {
    }

    /**
     * The ladder of the TCP segments in {@code packets} whose connection matches every one of
     * {@code endpoints} ({@code ADDR:PORT}, {@code ADDR} or {@code :PORT}; none: all).
     */
    public static LadderModel build(String title, List<? extends Captured> packets, List<String> endpoints,
            boolean absolute) {
        List<Parsed> segments = new ArrayList<>();
        for (Captured c : packets) {
            Parsed p = parse(c);
            if (p != null && matches(p, endpoints)) {
                segments.add(p);
            }
        }
        List<LadderModel.Lane> lanes = lanes(segments);
        Map<String, Integer> laneOf = new HashMap<>();
        for (int i = 0; i < lanes.size(); i++) {
            laneOf.put(lanes.get(i).address(), i);
        }
        List<LadderModel.Row> rows = new ArrayList<>();
        Analysis analysis = new Analysis();
        for (Parsed p : segments) {
            LadderModel.Row r = new LadderModel.Row(LadderModel.Kind.SEGMENT, p.nanos, laneOf.get(p.srcHost),
                    laneOf.get(p.dstHost), LadderModel.conversation(p.src, p.dst), p.fields, null);
            r.inferred.addAll(analysis.infer(r));
            rows.add(r);
        }
        return new LadderModel(title, "a packet capture", lanes, rows, absolute);
    }

    private record Parsed(long nanos, String srcHost, String dstHost, String src, String dst, int srcPort, int dstPort,
            SegmentText.Fields fields) {
    }

    /** The TCP segment in an IPv4 or IPv6 packet; null for anything else (or a later fragment). */
    private static Parsed parse(Captured c) {
        byte[] ip = c.ip();
        ByteBuf b = Unpooled.wrappedBuffer(ip);
        int version = (b.getUnsignedByte(0)) >>> 4;
        int tcp;
        int end;
        byte[] src;
        byte[] dst;
        if (version == 4 && ip.length >= 20) {
            int ihl = (b.getUnsignedByte(0) & 0x0f) * 4;
            if (b.getUnsignedByte(9) != 6 || (b.getUnsignedShort(6) & 0x1fff) != 0) {
                return null;
            }
            tcp = ihl;
            end = Math.min(b.getUnsignedShort(2), ip.length);
            src = Arrays.copyOfRange(ip, 12, 16);
            dst = Arrays.copyOfRange(ip, 16, 20);
        } else if (version == 6 && ip.length >= 40) {
            int next = b.getUnsignedByte(6);
            tcp = 40;
            // hop-by-hop, routing and destination options headers come before TCP; a fragment does not
            while ((next == 0 || next == 43 || next == 60) && tcp + 8 <= ip.length) {
                next = b.getUnsignedByte(tcp);
                tcp += (b.getUnsignedByte(tcp + 1) + 1) * 8;
            }
            if (next != 6) {
                return null;
            }
            end = Math.min(40 + b.getUnsignedShort(4), ip.length);
            src = Arrays.copyOfRange(ip, 8, 24);
            dst = Arrays.copyOfRange(ip, 24, 40);
        } else {
            return null;
        }
        if (end - tcp < TcpView.MIN_HEADER_LENGTH) {
            return null;
        }
        int dataOffset = (b.getUnsignedByte(tcp + 12) >>> 4) * 4;
        if (dataOffset < TcpView.MIN_HEADER_LENGTH || tcp + dataOffset > end) {
            return null;
        }
        SegmentText.Fields f = SegmentText.parse(SegmentText.describe(b, tcp, end - tcp));
        String srcHost = host(src);
        String dstHost = host(dst);
        int srcPort = b.getUnsignedShort(tcp);
        int dstPort = b.getUnsignedShort(tcp + 2);
        return new Parsed(c.epochNanos(), srcHost, dstHost, srcHost + ":" + srcPort, dstHost + ":" + dstPort, srcPort,
                dstPort, f);
    }

    private static String host(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes always make an address
        }
    }

    private static boolean matches(Parsed p, List<String> endpoints) {
        for (String e : endpoints) {
            if (!endpoint(e, p.srcHost, p.srcPort) && !endpoint(e, p.dstHost, p.dstPort)) {
                return false;
            }
        }
        return true;
    }

    private static boolean endpoint(String e, String host, int port) {
        int colon = e.lastIndexOf(':');
        boolean ipv6Only = e.indexOf(':') != colon && !e.startsWith("[");
        String h = colon < 0 || ipv6Only ? e : e.substring(0, colon).replace("[", "").replace("]", "");
        String p = colon < 0 || ipv6Only ? "*" : e.substring(colon + 1);
        return (h.isEmpty() || h.equals("*") || h.equals(host)) && (p.equals("*") || p.equals(Integer.toString(port)));
    }

    /** One lane per host: the first SYN's sender on the left (the client), its peer next. */
    private static List<LadderModel.Lane> lanes(List<Parsed> segments) {
        List<String> hosts = new ArrayList<>();
        String client = null;
        for (Parsed p : segments) {
            if (p.fields.has(TcpView.SYN) && !p.fields.has(TcpView.ACK)) {
                client = p.srcHost;
                hosts.add(p.srcHost);
                hosts.add(p.dstHost);
                break;
            }
        }
        for (Parsed p : segments) {
            for (String h : new String[] {p.srcHost, p.dstHost}) {
                if (!hosts.contains(h)) {
                    hosts.add(h);
                }
            }
        }
        List<LadderModel.Lane> lanes = new ArrayList<>();
        for (String h : hosts) {
            String role = client == null ? "" : h.equals(client) ? " (client)" : hosts.indexOf(h) == 1 ? " (server)" : "";
            lanes.add(new LadderModel.Lane(h, h + role, false));
        }
        return lanes;
    }

    /** What Wireshark's TCP analysis would say, per direction of each conversation. */
    private static final class Analysis {
        private static final class Direction {
            /** Highest sequence number sent plus one (SYN and FIN count), and whether any was seen. */
            int nextSeq;
            boolean started;
            /** Sequence ranges seen, as [start, end) pairs relative to nothing: compared modulo 2^32. */
            final List<int[]> seen = new ArrayList<>();
            int lastAck;
            long lastWindow = -1;
            int dupAcks;
        }

        private final Map<String, Direction> directions = new HashMap<>();

        private Direction direction(LadderModel.Row r, int lane) {
            return directions.computeIfAbsent(r.conversation + "|" + lane, k -> new Direction());
        }

        List<String> infer(LadderModel.Row r) {
            List<String> notes = new ArrayList<>();
            SegmentText.Fields s = r.segment;
            Direction d = direction(r, r.lane);
            Direction peer = direction(r, r.toLane);
            int len = s.seqLength();
            int seq = s.seq();
            int end = seq + len;
            boolean control = s.has(TcpView.SYN) || s.has(TcpView.FIN) || s.has(TcpView.RST);
            if (s.has(TcpView.SYN) && !s.has(TcpView.ACK) && d.started && seq != d.seen.get(0)[0]) {
                d.started = false; // a new connection on the same 4-tuple
                d.seen.clear();
                peer.started = false;
                peer.seen.clear();
            }
            if (d.started && s.length() <= 1 && !control && seq == d.nextSeq - 1) {
                notes.add(peer.lastWindow == 0 ? "window probe" : "keep-alive");
            } else if (d.started && len > 0 && before(seq, d.nextSeq)) {
                notes.add(overlapsSeen(d, seq, end) ? "retransmission" : "out of order");
            } else if (d.started && after(seq, d.nextSeq) && !s.has(TcpView.RST)) {
                notes.add("previous segment not captured");
            }
            if (s.has(TcpView.ACK) && !control && s.length() == 0 && d.started && s.ack() == d.lastAck) {
                if (s.window() != d.lastWindow && d.lastWindow >= 0) {
                    notes.add("window update");
                } else if (peer.started && before(s.ack(), peer.nextSeq) && notes.isEmpty()) {
                    d.dupAcks++;
                    notes.add("dup ACK #" + d.dupAcks);
                }
            } else if (s.has(TcpView.ACK) && s.ack() != d.lastAck) {
                d.dupAcks = 0;
            }
            if (s.window() == 0 && !s.has(TcpView.RST)) {
                notes.add("zero window");
            }
            if (!d.started || after(end, d.nextSeq)) {
                d.nextSeq = end;
            }
            if (len > 0) {
                d.seen.add(new int[] {seq, end});
                if (d.seen.size() > 64) {
                    d.seen.remove(1);
                }
            } else if (!d.started) {
                d.seen.add(new int[] {seq, seq});
            }
            d.started = true;
            if (s.has(TcpView.ACK)) {
                d.lastAck = s.ack();
            }
            d.lastWindow = s.window();
            return notes;
        }

        private static boolean overlapsSeen(Direction d, int seq, int end) {
            for (int[] range : d.seen) {
                if (before(seq, range[1]) && after(end, range[0])) {
                    return true;
                }
            }
            return false;
        }

        private static boolean before(int a, int b) {
            return a - b < 0;
        }

        private static boolean after(int a, int b) {
            return a - b > 0;
        }
    }
}
