package io.tcpstack.profile;

/**
 * The TCP knobs, named after the Linux sysctls they mirror (net.ipv4.tcp_*), with Linux 6.x
 * defaults (stack/BEHAVIOURS.md 5). Fields are volatile: they may be changed at run time and every
 * connection reads them when it needs them. Times are in milliseconds.
 */
public final class TcpSettings {
    /** The profile last applied (its knobs may have been overridden since). */
    public volatile Profile profile = Profile.LINUX_5_6;
    /** Inbound processing: no flow affinity (the reproduction mode, default) or one worker per flow. */
    public volatile Affinity affinity = Affinity.NONE;
    /**
     * Fault injection for demos: microseconds a worker waits between looking a segment's
     * connection up and locking it, widening the FIN/ACK race window. 0 (default) in every live
     * figure we report.
     */
    public volatile long lookupDelayMicros = 0;
    /** SYN-SENT after an unacceptable ACK; the default profile is linux-5.6. */
    public volatile SynResend synResend = SynResend.TIMEOUT_MIN;
    /** TCP_TIMEOUT_MIN: 2 jiffies; 2 ms at HZ=1000 (stack/BEHAVIOURS.md 2). */
    public volatile long timeoutMinMs = 2;
    /** tcp_syn_retries (TCP_SYN_RETRIES). */
    public volatile int synRetries = 6;
    /** tcp_syn_linear_timeouts (Linux >= 6.5; 0 before, which the linux-5.x profiles keep). */
    public volatile int synLinearTimeouts = 0;
    /** tcp_synack_retries (TCP_SYNACK_RETRIES). */
    public volatile int synackRetries = 5;
    /** tcp_retries2 (TCP_RETR2): give up on data after the time model of 15 backoffs (~924.6 s). */
    public volatile int retries2 = 15;
    /** TCP_TIMEOUT_INIT: initial RTO (RFC 6298 2.1). */
    public volatile long rtoInitMs = 1000;
    /** tcp_rto_min_us (TCP_RTO_MIN). */
    public volatile long rtoMinMs = 200;
    /** tcp_rto_max_ms (TCP_RTO_MAX). */
    public volatile long rtoMaxMs = 120_000;
    /** TCP_DELACK_MIN / TCP_ATO_MIN. */
    public volatile long delackMinMs = 40;
    /** TCP_DELACK_MAX. */
    public volatile long delackMaxMs = 200;
    /** tcp_fin_timeout: life of an orphaned FIN_WAIT_2 connection. */
    public volatile long finTimeoutMs = 60_000;
    /** TIME_WAIT length. Not a Linux sysctl: Linux has the constant TCP_TIMEWAIT_LEN (60 s). */
    public volatile long timewaitLenMs = 60_000;
    /** tcp_max_tw_buckets (half the established hash on this kernel). */
    public volatile int maxTwBuckets = 131_072;
    /** tcp_tw_reuse: 0 never, 1 always, 2 loopback only. */
    public volatile int twReuse = 2;
    /** tcp_tw_reuse_delay (Linux >= 6.14). */
    public volatile long twReuseDelayMs = 1000;
    /** tcp_tw_recycle (removed in Linux 4.12; the linux-4.9 profile turns it on). */
    public volatile boolean twRecycle = false;
    /** tcp_rfc1337: 0 = an RST kills TIME_WAIT (Linux default), 1 = ignored. */
    public volatile int rfc1337 = 0;
    /** tcp_invalid_ratelimit: at most one out-of-window / challenge ACK per this interval per connection. */
    public volatile long invalidRatelimitMs = 500;
    /** tcp_timestamps. */
    public volatile boolean timestamps = true;
    /**
     * Ticks per second of our timestamp clock: 1000 since Linux 4.13 (9a568de4818d, "switch TCP TS
     * option to 1 ms clock"); before, jiffies, so the kernel's HZ (250 on Debian's 4.9).
     */
    public volatile int tsHz = 1000;
    /**
     * The window of our SYN and SYN-ACK in segments, like the route option initrwnd; 0: 64 KiB
     * rounded down to the MSS (Linux >= 4.19). Linux 3.12 to 4.18 offered 2 x TCP_INIT_CWND = 20.
     */
    public volatile int initRwnd = 0;
    /** How the timestamp clock is offset. */
    public volatile TsOffsetMode tsOffsetMode = TsOffsetMode.PER_CONNECTION;
    /** tcp_sack. */
    public volatile boolean sack = true;
    /** tcp_window_scaling. */
    public volatile boolean windowScaling = true;
    /**
     * tcp_rmem: the receive buffer starts at the initial size and grows (Linux
     * tcp_rcv_space_adjust, tcp_moderate_rcvbuf) up to the maximum, which also sets the window
     * scale offered. Linux 6.18's defaults.
     */
    public volatile BufferSizes rmem = new BufferSizes(4096, 131072, 33554432);
    /** tcp_wmem: the send buffer; tcpstack holds up to the maximum at once (Linux grows it with cwnd). */
    public volatile BufferSizes wmem = new BufferSizes(4096, 16384, 4194304);
    /** tcp_moderate_rcvbuf: receive-buffer autotuning. */
    public volatile boolean moderateRcvbuf = true;
    /** Keepalive idle time, interval and probe count (TCP_KEEPALIVE_TIME/INTVL/PROBES). */
    public volatile long keepaliveTimeMs = 7_200_000;
    public volatile long keepaliveIntvlMs = 75_000;
    public volatile int keepaliveProbes = 9;
    /** tcp_dsack: send D-SACKs for duplicate segments (RFC 2883). */
    public volatile boolean dsack = true;
    /** tcp_early_retrans: 3 (and 4) enable the tail loss probe (RFC 8985 7). */
    public volatile int earlyRetrans = 3;
    /** tcp_reordering: the initial reordering degree, in segments (the duplicate-ACK threshold). */
    public volatile int reordering = 3;
    /** tcp_max_reordering: the most the reordering degree grows to. */
    public volatile int maxReordering = 300;
    /** tcp_slow_start_after_idle: cwnd restarts after an RTO of silence. */
    public volatile boolean slowStartAfterIdle = true;
    /** tcp_congestion_control: cubic, as Linux's default. */
    public volatile CongestionAlgorithm congestionControl = CongestionAlgorithm.CUBIC;
    // ---- listeners, SYN floods and resource limits (Linux tcp_conn_request, syncookies.c, tcp_close)
    /** tcp_syncookies: 0 never, 1 when a listener's request queue is full (default), 2 always. */
    public volatile int syncookies = 1;
    /**
     * tcp_max_syn_backlog (this kernel: 2048). Only without SYN cookies: the last quarter of it is
     * kept for peers already proven alive, which the stack never has (no tcp_metrics).
     */
    public volatile int maxSynBacklog = 2048;
    /** net.core.somaxconn: caps a listener's backlog, which bounds its request and accept queues. */
    public volatile int somaxconn = 4096;
    /** tcp_max_orphans (this kernel: 131072): past it a closed connection is reset instead of finishing. */
    public volatile int maxOrphans = 131_072;
    /** tcp_orphan_retries: retransmissions of an orphan before it is dropped; 0 means 8 (Linux). */
    public volatile int orphanRetries = 0;
    /** Ours (a process's fd limit plays this part on Linux): most control blocks at once. */
    public volatile int maxConnections = 262_144;
    /** tcp_mem: the stack-wide budget of queued bytes, in pages, scaled from the heap as Linux scales it from memory. */
    public volatile MemoryLimits tcpMem = MemoryLimits.fromHeap(Runtime.getRuntime().maxMemory());
    /** tcp_challenge_ack_limit: challenge ACKs per second for the whole stack; Linux >= 6.0: INT_MAX, none. */
    public volatile int challengeAckLimit = Integer.MAX_VALUE;
    /** ip_local_port_range. */
    public volatile int portRangeLow = 32768;
    public volatile int portRangeHigh = 60999;
    /** IPv6 on: the opposite of net.ipv6.conf.DEV.disable_ipv6 (off drops every IPv6 packet). */
    public volatile boolean ipv6 = true;
    /** net.ipv6.icmp.ratelimit: per destination, one rate-limited ICMPv6 error per this interval (this kernel's 100). */
    public volatile long icmp6RatelimitMs = 100;

    /** tcp_ecn (RFC 3168): 0 off, 1 ask for ECN in our SYNs and accept it, 2 accept it when asked (Linux default). */
    public volatile int ecn = 2;
    /** icmp_ratelimit: per destination, one rate-limited ICMP message per this interval (burst of 6). */
    public volatile long icmpRatelimitMs = 1000;
    /** icmp_ratemask: ICMP types the limit applies to (bit = type); Linux default 0x1818. */
    public volatile int icmpRatemask = 0x1818;

    /** TCP_MAX_QUICKACKS: segments ACKed at once at the start of a connection. */
    public static final int MAX_QUICKACKS = 16;
    /** TCP_INIT_CWND (RFC 6928). */
    public static final int INIT_CWND = 10;
    /** TCP_MSS_DEFAULT: peer MSS assumed when the SYN carries none (RFC 9293 3.7.1). */
    public static final int MSS_DEFAULT = 536;
    /** TCP_TIMEOUT_FALLBACK: RTO after a handshake without an RTT sample. */
    public static final long TIMEOUT_FALLBACK_MS = 3000;
    /** TCP_RESOURCE_PROBE_INTERVAL. */
    public static final long RESOURCE_PROBE_INTERVAL_MS = 500;
}
