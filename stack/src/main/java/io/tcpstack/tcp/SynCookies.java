package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import java.util.random.RandomGenerator;

/**
 * SYN cookies as Linux makes them (net/ipv4/syncookies.c, net/ipv6/syncookies.c): when a listener's request queue is
 * full (or tcp_syncookies is 2) the SYN-ACK's sequence number is a cookie and the listener keeps
 * nothing; the ACK that returns cookie + 1 rebuilds the connection.
 *
 * <pre>
 * ISN = hash(4-tuple, 0, secret 0) + SEG.SEQ + (count << 24)
 *       + ((hash(4-tuple, count, secret 1) + MSS index) mod 2^24)
 * </pre>
 *
 * count is the minute (TCP_SYNCOOKIE_PERIOD) the cookie was made in; a cookie is good for
 * MAX_SYNCOOKIE_AGE (2) counts. The MSS index points into a table of four common MSS values, one
 * table per family. The hash covers the 32-bit addresses over IPv4 and all 128 bits over IPv6.
 * With timestamps the low 6 bits of our SYN-ACK's TSval carry what else the SYN offered (window
 * scale, SACK, ECN), and the ACK's TSecr brings them back (cookie_init_timestamp).
 */
final class SynCookies {
    /** COOKIEBITS: the low 24 bits hold the keyed hash plus the MSS index, the top 8 the count. */
    private static final int COOKIEBITS = 24;
    private static final int COOKIEMASK = (1 << COOKIEBITS) - 1;
    /** TCP_SYNCOOKIE_PERIOD: the count ticks once a minute. */
    static final long PERIOD_MS = 60_000;
    /** MAX_SYNCOOKIE_AGE: a cookie of this count or the one before is accepted. */
    private static final int MAX_AGE = 2;
    /** TCP_SYNCOOKIE_VALID: a listener checks ACKs for cookies this long after it last sent one. */
    static final long VALID_MS = MAX_AGE * PERIOD_MS;
    /** msstab (IPv4): from the 2011 study of announced MSS values the kernel cites; sorted. */
    private static final int[] MSS_TABLE = {536, 1300, 1440, 1460};
    /**
     * msstab (IPv6): MTUs 1280 (IPV6_MIN_MTU), 1480, 1500 and 9000 less 60 bytes of headers (RFC
     * 8200 8.3); sorted.
     */
    private static final int[] MSS_TABLE_V6 = {1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60};

    /** TS_OPT_WSCALE_MASK: the peer's window scale; all ones means it offered none. */
    static final int TS_OPT_WSCALE_MASK = 0xf;
    static final int TS_OPT_SACK = 1 << 4;
    static final int TS_OPT_ECN = 1 << 5;
    private static final int TSBITS = 6;

    private final SipHash[] secrets;

    SynCookies(RandomGenerator random) {
        this.secrets = new SipHash[] {new SipHash(random.nextLong(), random.nextLong()),
                new SipHash(random.nextLong(), random.nextLong())};
    }

    /**
     * cookie_hash (net/ipv4 and net/ipv6): SipHash of the peer's address and port, ours, and the
     * count, with secret {@code c}.
     */
    private int hash(IpAddress remote, IpAddress local, int remotePort, int localPort, int count, int c) {
        long portsAndCount = ((long) ((remotePort & 0xffff) << 16 | (localPort & 0xffff)) << 32) | (count & 0xffffffffL);
        if (remote.isV4()) {
            return (int) secrets[c].hash(((long) remote.v4() << 32) | (local.v4() & 0xffffffffL), portsAndCount);
        }
        return (int) secrets[c].hash(remote.hi(), remote.lo(), local.hi(), local.lo(), portsAndCount);
    }

    private static int[] mssTable(IpAddress remote) {
        return remote.isV4() ? MSS_TABLE : MSS_TABLE_V6;
    }

    /** tcp_cookie_time: minutes of the stack clock. */
    private static int count(long nowMs) {
        return (int) (nowMs / PERIOD_MS);
    }

    /** The index of the table entry at or below {@code mss}, the first if none is (Linux: "mssind"). */
    private static int mssIndex(int[] table, int mss) {
        int index = table.length - 1;
        while (index > 0 && mss < table[index]) {
            index--;
        }
        return index;
    }

    /**
     * secure_tcp_syn_cookie: the ISN of a SYN-ACK answering a SYN with sequence number {@code
     * seq} from a peer that announced {@code mss} (__cookie_v4_init_sequence,
     * __cookie_v6_init_sequence).
     */
    int isn(IpAddress remote, IpAddress local, int remotePort, int localPort, int seq, int mss, long nowMs) {
        int count = count(nowMs);
        return hash(remote, local, remotePort, localPort, 0, 0) + seq + (count << COOKIEBITS)
                + ((hash(remote, local, remotePort, localPort, count, 1) + mssIndex(mssTable(remote), mss)) & COOKIEMASK);
    }

    /**
     * check_tcp_syn_cookie and __cookie_v4_check (__cookie_v6_check): the MSS that {@code cookie} (SEG.ACK - 1 of the
     * ACK) encodes for the peer whose SYN had sequence number {@code seq} (SEG.SEQ - 1), or 0
     * when it is not a cookie of ours or older than two counts.
     */
    int check(int cookie, IpAddress remote, IpAddress local, int remotePort, int localPort, int seq, long nowMs) {
        int count = count(nowMs);
        int rest = cookie - (hash(remote, local, remotePort, localPort, 0, 0) + seq);
        int diff = (count - (rest >>> COOKIEBITS)) & (-1 >>> COOKIEBITS);
        if (diff >= MAX_AGE) {
            return 0;
        }
        int index = (rest - hash(remote, local, remotePort, localPort, count - diff, 1)) & COOKIEMASK;
        int[] table = mssTable(remote);
        return index < table.length ? table[index] : 0;
    }

    /**
     * cookie_init_timestamp: our millisecond timestamp clock (without the connection's offset)
     * with its low 6 bits replaced by the options of the SYN, never after {@code nowMs}.
     *
     * @param wscale the peer's window scale, or -1 if it offered none
     */
    static int timestamp(long nowMs, int wscale, boolean sack, boolean ecn) {
        long options = (wscale >= 0 ? wscale : TS_OPT_WSCALE_MASK) | (sack ? TS_OPT_SACK : 0) | (ecn ? TS_OPT_ECN : 0);
        long ts = (nowMs >>> TSBITS << TSBITS) | options;
        if (ts > nowMs) {
            ts -= 1L << TSBITS;
        }
        return (int) ts;
    }
}
