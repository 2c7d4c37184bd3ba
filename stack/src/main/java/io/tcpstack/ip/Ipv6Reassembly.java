package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.time.Timeout;
import io.tcpstack.time.TimerQueue;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * IPv6 fragment reassembly (RFC 8200 4.5; Linux net/ipv6/reassembly.c ipv6_frag_rcv,
 * ip6_frag_queue, ip6_frag_reasm): fragments are queued per (source, destination,
 * identification); the datagram is rebuilt once the first and the last have come and nothing is
 * missing, without its fragment header, and walked on from there. Linux's rules: a first
 * fragment must hold the whole header chain (Parameter Problem code 3), a fragment must not end
 * beyond 65535 bytes nor, unless last, off a multiple of 8 (Parameter Problem code 0), an
 * overlap discards the whole datagram (RFC 5722), an exact repeat only itself, and a datagram
 * not complete within ip6frag_time (60 s) is dropped with a Time Exceeded (fragment reassembly
 * time exceeded) when its first fragment had come. At most ip6frag_high_thresh (4 MiB) is held.
 * Thread-safe: fragments of one datagram may arrive on any queue.
 */
final class Ipv6Reassembly {
    /** net.ipv6.ip6frag_time. */
    static final long TIMEOUT_MS = 60_000;
    /** net.ipv6.ip6frag_high_thresh. */
    static final int HIGH_THRESH = 4 << 20;
    private static final int MAX_PAYLOAD = 0xffff;
    private static final int FRAGMENT_HEADER_LENGTH = 8;

    private record Key(long srcHi, long srcLo, long dstHi, long dstLo, int id) {
    }

    private record Fragment(int offset, int end, byte[] data) {
    }

    private final StackStats stats;
    private final Icmp6 icmp;
    private final Clock clock;
    private final TimerQueue wheel;
    private final Map<Key, Datagram> queues = new HashMap<>();
    private int memory;

    Ipv6Reassembly(StackStats stats, Icmp6 icmp, Clock clock, TimerQueue wheel) {
        this.stats = stats;
        this.icmp = icmp;
        this.clock = clock;
        this.wheel = wheel;
    }

    /** One datagram being reassembled (Linux frag_queue), expiring on its own timer. */
    private final class Datagram extends Timeout {
        final Key key;
        final List<Fragment> fragments = new ArrayList<>();
        /** The total length of the fragmentable part, once the last fragment has said it. */
        int length;
        boolean lastIn;
        /** The first fragment's bytes up to its fragment header, and where in them the byte naming it is. */
        byte[] unfragmentable;
        int nextHeaderAt;
        int nextHeader;
        /** The first fragment as it came, for the Time Exceeded that quotes it. */
        byte[] first;
        int meat;

        Datagram(Key key) {
            this.key = key;
        }

        @Override
        protected void expire(long nowNanos) {
            synchronized (Ipv6Reassembly.this) {
                if (queues.remove(key) != this) {
                    return;
                }
                release(this);
            }
            stats.inc(Counter.Ip6ReasmTimeout);
            stats.inc(Counter.Ip6ReasmFails);
            stats.drop(DropReason.IPV6_FRAG_TIMEOUT);
            if (first != null) {
                ByteBuf quoted = Unpooled.wrappedBuffer(first);
                icmp.sendError(0, new Ipv6View().wrap(quoted, 0), Icmp6.TYPE_TIME_EXCEEDED,
                        Icmp6.CODE_FRAGMENT_REASSEMBLY, 0, false);
            }
        }
    }

    /**
     * The fragment whose header is at {@code offset} of the packet {@code ip} (ending at {@code
     * end}; the byte at {@code nextHeaderAt} names the fragment header). When it completes its
     * datagram, the datagram goes on through {@code input} from where the fragment header was.
     */
    void add(int queue, Ipv6View ip, int offset, int end, int nextHeaderAt, Ipv6Input input) {
        ByteBuf buf = ip.buf();
        int start = ip.offset();
        int fragOff = buf.getUnsignedShort(offset + 2);
        int fragmentOffset = fragOff & ~7;
        boolean more = (fragOff & 1) != 0;
        int dataStart = offset + FRAGMENT_HEADER_LENGTH;
        int fragmentEnd = fragmentOffset + (end - dataStart);
        if (fragmentOffset == 0 && headerChainTruncated(buf, buf.getUnsignedByte(offset), dataStart, end)) {
            // RFC 8200 4.5, RFC 7112: the first fragment holds every header through the upper layer's
            input.parameterProblem(queue, ip, Icmp6.CODE_HEADER_CHAIN_INCOMPLETE, 0, DropReason.IPV6_FRAG);
            return;
        }
        if (fragmentEnd > MAX_PAYLOAD) {
            input.parameterProblem(queue, ip, Icmp6.CODE_HEADER_FIELD, offset + 2 - start, DropReason.IPV6_FRAG);
            return;
        }
        if (more && (fragmentEnd & 7) != 0) {
            input.parameterProblem(queue, ip, Icmp6.CODE_HEADER_FIELD, 4, DropReason.IPV6_FRAG);
            return;
        }
        ByteBuf whole;
        Datagram done;
        synchronized (this) {
            Key key = new Key(ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo(), buf.getInt(offset + 4));
            Datagram d = queues.get(key);
            if (d == null) {
                if (memory > HIGH_THRESH) {
                    fail(null, DropReason.IPV6_FRAG);
                    return;
                }
                d = new Datagram(key);
                queues.put(key, d);
                wheel.schedule(d, clock.nanos() + TIMEOUT_MS * 1_000_000L);
            }
            DropReason rejected = queue(d, fragmentOffset, fragmentEnd, more);
            if (rejected == DropReason.IPV6_FRAG_DUP) {
                stats.drop(rejected);
                return;
            }
            if (rejected != null) {
                fail(d, rejected);
                return;
            }
            byte[] data = new byte[end - dataStart];
            buf.getBytes(dataStart, data);
            insert(d, new Fragment(fragmentOffset, fragmentEnd, data));
            if (fragmentOffset == 0) {
                d.unfragmentable = new byte[offset - start];
                buf.getBytes(start, d.unfragmentable);
                d.nextHeaderAt = nextHeaderAt - start;
                d.nextHeader = buf.getUnsignedByte(offset);
                d.first = new byte[end - start];
                buf.getBytes(start, d.first);
                memory += d.first.length;
            }
            if (!d.lastIn || d.unfragmentable == null || d.meat != d.length) {
                return;
            }
            whole = reassemble(d);
            if (whole == null) {
                return;
            }
            done = d;
        }
        try {
            stats.inc(Counter.Ip6ReasmOKs);
            input.deliver(queue, new Ipv6View().wrap(whole, 0), done.nextHeader, done.nextHeaderAt,
                    done.unfragmentable.length, whole.writerIndex(), true);
        } finally {
            whole.release();
        }
    }

    /**
     * Linux ip6_frag_queue's checks for a fragment of [offset, end): the last one fixes the
     * length, which nothing may pass and no second last may change; one that adds nothing is
     * discarded; an exact repeat of queued bytes is a duplicate, a partial one an overlap. Null
     * if it may be queued.
     */
    private static DropReason queue(Datagram d, int offset, int end, boolean more) {
        if (!more) {
            if (end < d.length || (d.lastIn && end != d.length)) {
                return DropReason.IPV6_FRAG;
            }
            d.lastIn = true;
            d.length = end;
        } else if (end > d.length) {
            if (d.lastIn) {
                return DropReason.IPV6_FRAG;
            }
            d.length = end;
        }
        if (end == offset) {
            return DropReason.IPV6_FRAG;
        }
        for (Fragment f : d.fragments) {
            if (offset >= f.offset && end <= f.end) {
                return DropReason.IPV6_FRAG_DUP;
            }
            if (offset < f.end && end > f.offset) {
                return DropReason.IPV6_FRAG; // RFC 5722: overlapping fragments end the datagram
            }
        }
        return null;
    }

    private void insert(Datagram d, Fragment f) {
        int i = 0;
        while (i < d.fragments.size() && d.fragments.get(i).offset < f.offset) {
            i++;
        }
        d.fragments.add(i, f);
        d.meat += f.end - f.offset;
        memory += f.data.length;
    }

    /**
     * Linux ip6_frag_reasm: the first fragment's headers with the fragment header taken out (the
     * byte that named it now names what followed it), then the data in order. Null (and the
     * datagram failed) when it would exceed 65535 bytes of payload.
     */
    private ByteBuf reassemble(Datagram d) {
        queues.remove(d.key);
        wheel.cancel(d);
        release(d);
        int payload = d.unfragmentable.length - Ipv6View.HEADER_LENGTH + d.length;
        if (payload > MAX_PAYLOAD) {
            stats.inc(Counter.Ip6ReasmFails);
            stats.drop(DropReason.IPV6_FRAG);
            return null;
        }
        ByteBuf whole = Unpooled.directBuffer(Ipv6View.HEADER_LENGTH + payload);
        whole.writeBytes(d.unfragmentable);
        whole.setByte(d.nextHeaderAt, d.nextHeader);
        whole.setShort(4, payload);
        for (Fragment f : d.fragments) {
            whole.writeBytes(f.data);
        }
        return whole;
    }

    private void fail(Datagram d, DropReason reason) {
        if (d != null) {
            queues.remove(d.key);
            wheel.cancel(d);
            release(d);
        }
        stats.inc(Counter.Ip6ReasmFails);
        stats.drop(reason);
    }

    private void release(Datagram d) {
        for (Fragment f : d.fragments) {
            memory -= f.data.length;
        }
        if (d.first != null) {
            memory -= d.first.length;
        }
    }

    /**
     * Linux ipv6frag_thdr_truncated: the headers after the fragment header, then the upper
     * layer's (TCP 20, UDP 8, ICMPv6 8 bytes, another protocol 1), must end within the fragment.
     */
    private static boolean headerChainTruncated(ByteBuf buf, int nextHeader, int at, int end) {
        long upper = Ipv6ExtensionHeaders.skipExtensionHeaders(buf, nextHeader, at, end);
        if (upper < 0) {
            return true;
        }
        int need = switch ((int) (upper >>> 32)) {
            case IpProtocol.TCP -> 20;
            case IpProtocol.UDP, IpProtocol.ICMPV6 -> 8;
            default -> 1;
        };
        return (int) upper + need > end;
    }
}
