package io.tcpstack.profile;

import static io.tcpstack.profile.KnobType.Unit.MILLISECONDS;
import static io.tcpstack.profile.KnobType.Unit.SECONDS;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The stack's run-time knobs: every {@link TcpSettings} field an operator may set, with its
 * Linux sysctl name where there is one, what values it takes (ranges from the kernel's own limits
 * where it has them, stack/BEHAVIOURS.md 5), its default and when a change is seen. The daemon's
 * flags, its config file and {@code tcpstack ctl get|set} all validate through here.
 */
public final class KnobRegistry {
    private static final String NEW_CONNECTIONS = "connections opened from now on";

    /** The behaviour profile: setting it sets several other knobs, so it is applied before them. */
    public static final Knob PROFILE = Knob.live("profile", null,
            KnobType.choice(Profile::knobValue, List.of(Profile.values())),
            "behaviour profile; sets syn-resend, affinity, tw-recycle, ts-offset, ts-hz, init-rwnd,"
                    + " congestion-control, ecn, syn-linear-timeouts and rmem (stack/BEHAVIOURS.md 12)",
            "each knob it sets, as that knob says", s -> s.profile, (s, p) -> p.applyTo(s));

    /** The knobs in the order help texts list them; {@link #PROFILE} first, since it sets others. */
    public static final List<Knob> LIVE = List.of(PROFILE,
            Knob.live("affinity", null, KnobType.choice(Affinity::knobValue, List.of(Affinity.values())),
                    "inbound flow affinity: none steers a packet to the queue of the CPU that sent it (Linux without"
                            + " RSS: the FIN/ACK race), flow keeps a connection on one queue (RSS), spray hands packets"
                            + " round-robin to worker threads (stress only)",
                    "the next inbound packet", s -> s.affinity, (s, a) -> s.affinity = a),
            Knob.live("syn-resend", null, KnobType.choice(SynResend::knobValue, List.of(SynResend.values())),
                    "SYN resend after an unacceptable ACK in SYN-SENT: rto-init (Linux <= 5.5) or timeout-min"
                            + " (Linux >= 5.6, commit 9603d47bad46)",
                    "the next unacceptable ACK in SYN-SENT", s -> s.synResend, (s, v) -> s.synResend = v),
            Knob.live("lookup-delay-us", null, KnobType.integer(0, 1_000_000),
                    "fault injection: microseconds between a segment's connection lookup and its lock, widening the"
                            + " FIN/ACK race (0 in every reported figure)",
                    "the next inbound segment", s -> (int) s.lookupDelayMicros, (s, v) -> s.lookupDelayMicros = v),
            Knob.live("fin-timeout", "tcp_fin_timeout", KnobType.duration(SECONDS, 1, 3_600_000),
                    "life of an orphaned connection in FIN_WAIT_2", "connections entering FIN_WAIT_2 from now on",
                    s -> s.finTimeoutMs, (s, v) -> s.finTimeoutMs = v),
            Knob.live("timewait-len", null, KnobType.duration(SECONDS, 1, 3_600_000),
                    "TIME_WAIT length (Linux: the constant TCP_TIMEWAIT_LEN, 60 s)",
                    "connections entering TIME_WAIT from now on", s -> s.timewaitLenMs, (s, v) -> s.timewaitLenMs = v),
            Knob.live("max-tw-buckets", "tcp_max_tw_buckets", KnobType.integer(0, 1 << 24),
                    "most TIME_WAIT and FIN_WAIT_2 records at once; beyond it a closing connection leaves none",
                    "the next connection to close", s -> s.maxTwBuckets, (s, v) -> s.maxTwBuckets = v),
            Knob.live("tw-reuse", "tcp_tw_reuse", KnobType.integer(0, 2),
                    "reuse a TIME_WAIT 4-tuple for a new outgoing connection: 0 never, 1 always, 2 loopback only",
                    "the next connect", s -> s.twReuse, (s, v) -> s.twReuse = v),
            Knob.live("tw-reuse-delay", "tcp_tw_reuse_delay", KnobType.duration(MILLISECONDS, 1, 600_000),
                    "how old a TIME_WAIT record must be before tw-reuse may take it", "the next connect",
                    s -> s.twReuseDelayMs, (s, v) -> s.twReuseDelayMs = v),
            Knob.live("tw-recycle", "tcp_tw_recycle", KnobType.flag(),
                    "recycle TIME_WAIT by the peer's timestamps (removed in Linux 4.12; breaks clients behind NAT)",
                    "connections entering TIME_WAIT from now on", s -> s.twRecycle, (s, v) -> s.twRecycle = v),
            Knob.live("rfc1337", "tcp_rfc1337", KnobType.integer(0, 1),
                    "0: an RST kills a TIME_WAIT record (Linux default); 1: RSTs are ignored in TIME_WAIT (RFC 1337)",
                    "the next RST a TIME_WAIT record receives", s -> s.rfc1337, (s, v) -> s.rfc1337 = v),
            Knob.live("port-range", "ip_local_port_range", KnobType.portRange(),
                    "local ports for connections the stack opens (RFC 6056)", "the next connect",
                    s -> new KnobType.PortRange(s.portRangeLow, s.portRangeHigh), (s, r) -> {
                        s.portRangeLow = r.low();
                        s.portRangeHigh = r.high();
                    }),
            Knob.live("rmem", "tcp_rmem", KnobType.bufferSizes(),
                    "receive buffer per connection: MIN DEFAULT MAX; it starts at DEFAULT and autotuning grows it up"
                            + " to MAX, which sets the window scale offered",
                    NEW_CONNECTIONS, s -> s.rmem, (s, v) -> s.rmem = v),
            Knob.live("wmem", "tcp_wmem", KnobType.bufferSizes(),
                    "send buffer per connection: MIN DEFAULT MAX; tcpstack holds up to MAX", NEW_CONNECTIONS,
                    s -> s.wmem, (s, v) -> s.wmem = v),
            Knob.live("moderate-rcvbuf", "tcp_moderate_rcvbuf", KnobType.flag(),
                    "receive-buffer autotuning: grow the buffer to what the application reads per RTT",
                    NEW_CONNECTIONS, s -> s.moderateRcvbuf, (s, v) -> s.moderateRcvbuf = v),
            Knob.live("dsack", "tcp_dsack", KnobType.flag(), "report duplicate segments with D-SACK (RFC 2883)",
                    "the next duplicate segment", s -> s.dsack, (s, v) -> s.dsack = v),
            Knob.live("early-retrans", "tcp_early_retrans", KnobType.integer(0, 4),
                    "3 or 4: tail loss probes (RFC 8985 7) after about 2 RTTs of silence; 0..2: none",
                    "the next segment sent", s -> s.earlyRetrans, (s, v) -> s.earlyRetrans = v),
            Knob.live("reordering", "tcp_reordering", KnobType.integer(1, 300),
                    "initial reordering degree in segments (the duplicate-ACK threshold)", NEW_CONNECTIONS,
                    s -> s.reordering, (s, v) -> s.reordering = v),
            Knob.live("max-reordering", "tcp_max_reordering", KnobType.integer(1, 1024),
                    "the most a connection's reordering degree grows to", "the next reordering seen",
                    s -> s.maxReordering, (s, v) -> s.maxReordering = v),
            Knob.live("slow-start-after-idle", "tcp_slow_start_after_idle", KnobType.flag(),
                    "after more than an RTO without sending, cwnd falls back towards the initial window",
                    "the next send after idle", s -> s.slowStartAfterIdle, (s, v) -> s.slowStartAfterIdle = v),
            Knob.live("congestion-control", "tcp_congestion_control",
                    KnobType.choice(CongestionAlgorithm::knobValue, List.of(CongestionAlgorithm.values())),
                    "congestion control algorithm", NEW_CONNECTIONS, s -> s.congestionControl,
                    (s, v) -> s.congestionControl = v),
            Knob.live("syn-retries", "tcp_syn_retries", KnobType.integer(1, 127),
                    "SYN retransmissions before connect gives up (MAX_TCP_SYNCNT 127)", "the next SYN timeout",
                    s -> s.synRetries, (s, v) -> s.synRetries = v),
            Knob.live("syn-linear-timeouts", "tcp_syn_linear_timeouts", KnobType.integer(0, 127),
                    "SYN timeouts that keep the initial RTO before it doubles (Linux >= 6.5: 4; the linux-5.x profiles: 0)",
                    "the next SYN timeout", s -> s.synLinearTimeouts, (s, v) -> s.synLinearTimeouts = v),
            Knob.live("synack-retries", "tcp_synack_retries", KnobType.integer(1, 127),
                    "SYN-ACK retransmissions before a half-open connection is dropped", "the next SYN-ACK timeout",
                    s -> s.synackRetries, (s, v) -> s.synackRetries = v),
            Knob.live("retries2", "tcp_retries2", KnobType.integer(1, 255),
                    "data retransmissions (as a time, Linux's model) before a connection is dropped",
                    "the next retransmission timeout", s -> s.retries2, (s, v) -> s.retries2 = v),
            Knob.live("timestamps", "tcp_timestamps", KnobType.flag(), "offer TCP timestamps (RFC 7323)",
                    NEW_CONNECTIONS, s -> s.timestamps, (s, v) -> s.timestamps = v),
            Knob.live("ts-offset", null, KnobType.choice(KnobRegistry::spell, List.of(TsOffsetMode.values())),
                    "timestamp clock offset: per-connection (Linux >= 4.10), per-host, none (Linux < 4.10)",
                    NEW_CONNECTIONS, s -> s.tsOffsetMode, (s, v) -> s.tsOffsetMode = v),
            Knob.live("ts-hz", null, KnobType.choice(String::valueOf, List.of(1000, 300, 250, 100)),
                    "ticks per second of our timestamp clock: 1000 (Linux >= 4.13) or the old kernels' HZ (jiffies)",
                    NEW_CONNECTIONS, s -> s.tsHz, (s, v) -> s.tsHz = v),
            Knob.live("init-rwnd", null, KnobType.integer(0, 1000),
                    "window of our SYN and SYN-ACK in segments, like the route's initrwnd: 0 is 64 KiB rounded to the"
                            + " MSS (Linux >= 4.19), Linux 3.12 to 4.18 offered 20",
                    NEW_CONNECTIONS, s -> s.initRwnd, (s, v) -> s.initRwnd = v),
            Knob.live("sack", "tcp_sack", KnobType.flag(), "offer selective acknowledgements (RFC 2018)",
                    NEW_CONNECTIONS, s -> s.sack, (s, v) -> s.sack = v),
            Knob.live("window-scaling", "tcp_window_scaling", KnobType.flag(), "offer window scaling (RFC 7323)",
                    NEW_CONNECTIONS, s -> s.windowScaling, (s, v) -> s.windowScaling = v),
            Knob.live("keepalive-time", "tcp_keepalive_time", KnobType.duration(SECONDS, 1000, 32_767_000),
                    "idle time before the first keepalive probe (MAX_TCP_KEEPIDLE 32767 s)", "the next keepalive timer",
                    s -> s.keepaliveTimeMs, (s, v) -> s.keepaliveTimeMs = v),
            Knob.live("keepalive-intvl", "tcp_keepalive_intvl", KnobType.duration(SECONDS, 1000, 32_767_000),
                    "time between keepalive probes (MAX_TCP_KEEPINTVL 32767 s)", "the next keepalive timer",
                    s -> s.keepaliveIntvlMs, (s, v) -> s.keepaliveIntvlMs = v),
            Knob.live("keepalive-probes", "tcp_keepalive_probes", KnobType.integer(1, 127),
                    "unanswered keepalive probes before a connection is dropped (MAX_TCP_KEEPCNT 127)",
                    "the next keepalive timer", s -> s.keepaliveProbes, (s, v) -> s.keepaliveProbes = v),
            Knob.live("invalid-ratelimit", "tcp_invalid_ratelimit", KnobType.duration(MILLISECONDS, 0, 3_600_000),
                    "at most one out-of-window or challenge ACK per connection per this interval",
                    "the next out-of-window segment", s -> s.invalidRatelimitMs, (s, v) -> s.invalidRatelimitMs = v),
            Knob.live("ecn", "tcp_ecn", KnobType.integer(0, 2),
                    "ECN (RFC 3168): 0 off, 1 asked for in our SYNs and accepted, 2 accepted when a peer asks",
                    NEW_CONNECTIONS, s -> s.ecn, (s, v) -> s.ecn = v),
            Knob.live("icmp-ratelimit", "icmp_ratelimit", KnobType.duration(MILLISECONDS, 0, 3_600_000),
                    "per destination, at most one ICMP error of the icmp-ratemask types per this interval (burst 6)",
                    "the next ICMP error", s -> s.icmpRatelimitMs, (s, v) -> s.icmpRatelimitMs = v),
            Knob.live("icmp-ratemask", "icmp_ratemask", KnobType.integer(0, 0x7ffff),
                    "ICMP types icmp-ratelimit applies to, one bit per type (0x1818: unreachable, source quench,"
                            + " time exceeded, parameter problem)",
                    "the next ICMP error", s -> s.icmpRatemask, (s, v) -> s.icmpRatemask = v),
            Knob.live("ipv6", null, KnobType.flag(),
                    "IPv6 on tun0 (0 drops every IPv6 packet and refuses IPv6 connects, like disable_ipv6 = 1)",
                    "the next IPv6 packet or connect", s -> s.ipv6, (s, v) -> s.ipv6 = v),
            Knob.live("icmp6-ratelimit", "net.ipv6.icmp.ratelimit", KnobType.duration(MILLISECONDS, 0, 3_600_000),
                    "per destination, at most one ICMPv6 error (unreachable, time exceeded, parameter problem) per"
                            + " this interval, a quarter of it for a /64 peer (burst 6)",
                    "the next ICMPv6 error", s -> s.icmp6RatelimitMs, (s, v) -> s.icmp6RatelimitMs = v),
            Knob.live("challenge-ack-limit", "tcp_challenge_ack_limit", KnobType.integer(0, Integer.MAX_VALUE),
                    "challenge ACKs per second for the whole stack (RFC 5961 7; 2147483647, Linux >= 6.0: no limit)",
                    "the next challenge ACK", s -> s.challengeAckLimit, (s, v) -> s.challengeAckLimit = v),
            Knob.live("syncookies", "tcp_syncookies", KnobType.integer(0, 2),
                    "SYN cookies: 0 never, 1 when a listener's request queue is full, 2 for every SYN",
                    "the next SYN", s -> s.syncookies, (s, v) -> s.syncookies = v),
            Knob.live("max-syn-backlog", "tcp_max_syn_backlog", KnobType.integer(1, 1 << 24),
                    "without SYN cookies, the last quarter of this many requests is not given to new peers",
                    "the next SYN", s -> s.maxSynBacklog, (s, v) -> s.maxSynBacklog = v),
            Knob.live("somaxconn", "net.core.somaxconn", KnobType.integer(1, 1 << 24),
                    "largest listen backlog (it bounds a listener's request queue and accept queue)",
                    "listeners opened from now on", s -> s.somaxconn, (s, v) -> s.somaxconn = v),
            Knob.live("max-orphans", "tcp_max_orphans", KnobType.integer(0, 1 << 24),
                    "most connections closed by their application and still finishing; past it they are reset",
                    "the next close", s -> s.maxOrphans, (s, v) -> s.maxOrphans = v),
            Knob.live("orphan-retries", "tcp_orphan_retries", KnobType.integer(0, 255),
                    "retransmissions before an orphaned connection is dropped (0: 8, as Linux)",
                    "the next retransmission timeout", s -> s.orphanRetries, (s, v) -> s.orphanRetries = v),
            Knob.live("tcp-mem", "tcp_mem", KnobType.memoryLimits(),
                    "stack-wide budget for queued bytes, in 4 KiB pages: above PRESSURE windows stop growing and"
                            + " out-of-order queues are pruned, above HIGH new data is dropped and writes wait"
                            + " (default scaled from the heap)",
                    "the next byte queued", s -> s.tcpMem, (s, v) -> s.tcpMem = v),
            Knob.live("max-connections", null, KnobType.integer(1, 1 << 24),
                    "most connections at once (a process's fd limit on Linux); past it SYNs are dropped, connects fail",
                    "the next SYN or connect", s -> s.maxConnections, (s, v) -> s.maxConnections = v));

    private KnobRegistry() {
    }

    /** "per-connection" for PER_CONNECTION. */
    private static String spell(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The profile in force, and the knobs set since to values it does not give them: "linux-5.6",
     * or "linux-5.6 (modified: sack=0, fin-timeout=30s)".
     */
    public static String describeProfile(TcpSettings settings) {
        TcpSettings baseline = new TcpSettings();
        settings.profile.applyTo(baseline);
        List<String> modified = LIVE.stream().filter(k -> k != PROFILE && !k.get(settings).equals(k.get(baseline)))
                .map(k -> k.name() + "=" + k.get(settings)).toList();
        return settings.profile.knobValue() + (modified.isEmpty() ? "" : " (modified: " + String.join(", ", modified) + ")");
    }

    /** The live knob that answers to {@code name} (its own or its sysctl's). */
    public static Optional<Knob> find(String name) {
        return find(LIVE, name);
    }

    /** The knob of {@code knobs} that answers to {@code name}. */
    public static Optional<Knob> find(List<Knob> knobs, String name) {
        return knobs.stream().filter(k -> k.answersTo(name)).findFirst();
    }
}
