package io.tcpstack.tcp;

import io.tcpstack.time.Timeout;
import io.tcpstack.wire.TcpOptions;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The transmission control block (RFC 9293 3.3.1): one connection's variables, buffers and
 * timers, under one lock that segment processing, timers and the application all take. Field
 * names are the RFC's (snd.una -> sndUna) or, where the RFC has none, Linux's (tcp_sock).
 *
 * <p>Behaviour lives in {@link TcpInput}, {@link TcpOutput} and {@link TcpTimers}; this class is
 * state.
 */
public final class Tcb {
    final TcpLayer layer;
    public final int localAddress;
    public final int localPort;
    public final int remoteAddress;
    public final int remotePort;
    final long key;

    final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change an application may wait for: data, space, state, error. */
    final Condition changed = lock.newCondition();
    /** A signal of {@link #changed} waits for the end of the receive burst ({@link Wakeups}). */
    boolean wakePending;
    /** An ACK for in-order data waits for the end of the receive burst ({@link Wakeups}). */
    boolean ackDeferred;

    volatile TcpState state = TcpState.CLOSED;
    /** Set when the connection failed; the application sees it as an exception. */
    volatile TcpError error;

    // RFC 9293 3.3.1, send sequence variables
    int iss;
    int sndUna;
    int sndNxt;
    /** Peer's window in bytes (already scaled). */
    int sndWnd;
    int sndWl1;
    /** Largest window the peer ever offered (Linux max_window), for RFC 5961 5.2. */
    int maxSndWnd;
    /** Highest sequence sent so far (Linux snd_nxt after retransmissions rewinds ours; this does not). */
    int sndMax;

    // receive sequence variables
    int irs;
    int rcvNxt;
    /** Window we last advertised, in bytes (RFC 9293 RCV.WND). */
    int rcvWnd;
    /** rcv.nxt when we last advertised a window (Linux rcv_wup). */
    int rcvWup;

    // options (RFC 7323, RFC 2018)
    /** Peer's window scale (shift we apply to its windows). */
    int sndWscale;
    /** Our window scale (shift the peer applies to ours). */
    int rcvWscale;
    boolean wscaleOk;
    boolean sackOk;
    boolean tsOk;
    /** TS.Recent (RFC 7323 4.3) and when it was recorded (ms). */
    int tsRecent;
    long tsRecentStampMs;
    /** TSval of our first SYN (Linux retrans_stamp in SYN-SENT), for the SYN-ACK's PAWS check. */
    int synTsVal;
    /** Random per-connection offset added to our timestamp clock (RFC 7323 5.4). */
    int tsOffset;
    /** Ticks per second of our timestamp clock (Linux >= 4.13: 1000; before, the kernel's HZ). */
    int tsHz = 1000;
    /** MSS our SYN announces (Linux advmss): the link's, or less if the application asked (TCP_MAXSEG). */
    int advMss;
    /** MSS the peer announced (Linux mss_clamp); our segments carry at most this much data. */
    int peerMss = io.tcpstack.profile.TcpSettings.MSS_DEFAULT;
    /** Data bytes per full segment we send (peer MSS less our TCP options). */
    int sndMss;
    /** Data bytes per full segment we expect (Linux rcv_mss), for the ACK-every-2-segments rule. */
    int rcvMss;
    /** Linux rcv_ssthresh: the most window we offer; starts at 64 KiB and grows with the data. */
    int rcvSsthresh;

    // buffers
    final ByteRing sendBuffer;
    final ByteRing receiveBuffer;
    final Reassembly reassembly = new Reassembly();
    /**
     * The SACK blocks of the segment being built (per connection: workers transmit for
     * different connections at once).
     */
    final int[] sackOut = new int[2 * TcpOptions.MAX_SACK_BLOCKS];
    /** What the peer SACKed of our data (RFC 6675), from its first SACK block on; else null. */
    SackScoreboard scoreboard;
    /** Application called close() or shutdownOutput(): a FIN follows the queued data. */
    boolean finQueued;
    /** Our FIN is in flight or acknowledged, at {@link #finSeq}. */
    boolean finSent;
    int finSeq;
    boolean finAcked;
    /** Application called close(): nobody will read any more (Linux SOCK_DEAD). */
    boolean orphan;
    /** The peer's FIN arrived (in order): reads past the buffer return end of stream. */
    boolean finReceived;
    boolean noDelay;
    boolean keepAlive;
    /** SO_LINGER with a zero timeout: close() aborts with RST (Linux). */
    boolean lingerZero;

    // retransmission (RFC 6298) and congestion control (RFC 5681, RFC 6582)
    final RttEstimator rtt;
    /** Number of retransmissions of the current head (Linux icsk_retransmits). */
    int retransmits;
    /** When the first of the current retransmissions went out, ms (Linux retrans_stamp); 0 none. */
    long retransStampMs;
    /** A SYN has been resent early after an unacceptable ACK (BEHAVIOURS.md 2: at most once). */
    boolean earlySynResendArmed;
    /** RTT timing of one segment without timestamps (Karn: never a retransmitted one). */
    boolean rttTiming;
    int rttSeq;
    long rttStartNanos;
    /** Congestion window and slow-start threshold, in segments (Linux snd_cwnd). */
    int cwnd;
    int ssthresh = Integer.MAX_VALUE;
    int dupAcks;
    /** NewReno: in fast recovery until snd.una passes recover (RFC 6582). */
    boolean inRecovery;
    /** This recovery is SACK-based (RFC 6675): it retransmits what the scoreboard says is lost. */
    boolean sackRecovery;
    int recover;
    /** Partial window progress in congestion avoidance (bytes acked / cwnd). */
    int cwndCount;
    /** Zero-window probe backoff (Linux icsk_probes_out) and keepalive probes sent. */
    int probesOut;

    // delayed ACK (Linux icsk_ack)
    int quickAcks = io.tcpstack.profile.TcpSettings.MAX_QUICKACKS;
    long atoMs;
    long lastDataRecvMs;
    /** Full segments received since our last ACK. */
    int segmentsSinceAck;
    boolean ackPending;
    /** Last time an out-of-window / challenge ACK was sent, ms (tcp_oow_rate_limited). */
    long lastOowAckMs = Long.MIN_VALUE / 2;
    /** Last time data arrived or was sent, ms (keepalive idle). */
    long lastActivityMs;

    /** IP identification of our next packet (Linux inet_id: per socket, random start). */
    int ipId;
    /**
     * The queue this connection's segments go out on with flow affinity: fixed per 4-tuple, so
     * TUN steers the flow's inbound packets to one queue too.
     */
    final int txQueue;
    /** The listener of a passive open until it is accepted. */
    Listener listener;
    /** The application's handle on this connection (one per connection: handlers compare it). */
    final TcpConnection connection = new TcpConnection(this);
    /** An event-driven application's handler, or null (blocking callers only). */
    volatile TcpHandler handler;
    /** The handler is on some thread's list to run ({@link Wakeups}). */
    boolean handlerPosted;
    /** Its handler queued data or a FIN that goes out when the handler returns ({@link Wakeups#push}). */
    boolean corked;
    /** Runs of the handler asked for and not yet done: the thread that takes it from 0 runs them all. */
    final AtomicInteger handlerRuns = new AtomicInteger();
    /** Linux SO_ORIGINAL state for ss: when the connection was created (ms). */
    final long createdMs;
    /** The totals of tcp_info no protocol variable holds (ctl conns -i). */
    final ConnectionCounters counters = new ConnectionCounters();

    final Timeout retransmitTimer;
    final Timeout delackTimer;
    final Timeout keepaliveTimer;
    /** Deadline of the logical timer the retransmit Timeout serves: RTO, probe0, or SYN-ACK. */
    TimerKind retransmitKind = TimerKind.NONE;

    enum TimerKind {
        NONE,
        RETRANSMIT,
        PERSIST
    }

    Tcb(TcpLayer layer, int localAddress, int localPort, int remoteAddress, int remotePort) {
        this.layer = layer;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.key = Demux.key(remoteAddress, remotePort, localPort);
        this.txQueue = Math.floorMod(Long.hashCode(key * 0x9E3779B97F4A7C15L), Math.max(layer.queueCount(), 1));
        this.sendBuffer = new ByteRing(layer.settings().sndbuf);
        this.receiveBuffer = new ByteRing(layer.settings().rcvbuf);
        this.rtt = new RttEstimator(layer.settings().rtoMinMs * 1000, layer.settings().rtoMaxMs * 1000);
        this.createdMs = layer.nowMs();
        this.retransmitTimer = new TcbTimeout(this, TcpTimers::onRetransmitTimer);
        this.delackTimer = new TcbTimeout(this, TcpTimers::onDelackTimer);
        this.keepaliveTimer = new TcbTimeout(this, TcpTimers::onKeepaliveTimer);
    }

    public TcpState state() {
        return state;
    }

    /** Bytes in flight: sent and not yet acknowledged (SYN and FIN included). */
    int flightSize() {
        return sndNxt - sndUna;
    }

    /** Data bytes sent and not yet acknowledged (SYN and FIN excluded). */
    int dataInFlight() {
        if (!state.isSynchronized()) {
            return 0;
        }
        return Math.max(0, Math.min(sndNxt - sndUna, sendBuffer.size()));
    }

    /** Bytes queued by the application and not sent yet. */
    int unsentBytes() {
        return sendBuffer.size() - dataInFlight();
    }

    /** Timestamp value we send now (RFC 7323: a clock of {@link #tsHz} ticks a second plus our offset). */
    int tsVal() {
        return (int) (layer.clock().nanos() / (1_000_000_000L / tsHz)) + tsOffset;
    }

    /** A difference of our timestamp values (an RTT measured by TSecr) in microseconds. */
    long tsTicksToMicros(int ticks) {
        return ticks * (1_000_000L / tsHz);
    }

    // ---- for ctl conns -i (ss -tio's fields), from the variables above; loss recovery may re-wire them

    /** Whole segments (of sndMss) in {@code bytes}, rounded up. */
    private int segments(long bytes) {
        return (int) ((Math.max(bytes, 0) + sndMss - 1) / Math.max(sndMss, 1));
    }

    /** Linux packets_out: segments sent and not yet acknowledged (SYN and FIN count as one). */
    int packetsOut() {
        return segments(sndMax - sndUna);
    }

    /** Linux sacked_out: segments the peer selectively acknowledged. */
    int sackedOut() {
        return scoreboard == null ? 0 : segments(scoreboard.sackedBytes());
    }

    /**
     * Linux retrans_out: retransmissions not yet acknowledged. In SACK recovery what lies below
     * HighRxt and is not SACKed (as if nothing below HighRxt were SACKed); in NewReno recovery the
     * head; after a timeout what go-back-N has sent again.
     */
    int retransOut() {
        if (sackRecovery) {
            return segments(Math.min(scoreboard.highRxt - sndUna, sndMax - sndUna - scoreboard.sackedBytes()));
        }
        if (inRecovery) {
            return 1;
        }
        return lossState() ? Math.min(Math.max(segments(sndNxt - sndUna), 1), packetsOut()) : 0;
    }

    /**
     * Linux lost_out: in SACK recovery what RFC 6675 holds lost (the bytes not SACKed that SetPipe
     * leaves out); in NewReno recovery the head; after a timeout everything outstanding.
     */
    int lostOut() {
        if (sackRecovery) {
            long unsacked = sndMax - sndUna - scoreboard.sackedBytes();
            long notLost = scoreboard.pipe(sndUna, sndMax, sndMss) - Math.min(scoreboard.highRxt - sndUna, unsacked);
            return segments(unsacked - notLost);
        }
        if (inRecovery) {
            return 1;
        }
        return lossState() ? packetsOut() : 0;
    }

    /** After a retransmission timeout, until new data is acknowledged (Linux TCP_CA_Loss). */
    private boolean lossState() {
        return retransmits > 0 && state.isSynchronized();
    }

    /** Linux icsk_ca_state, as its name: open, disorder, recovery or loss. */
    String caState() {
        if (lossState()) {
            return "loss";
        }
        if (inRecovery) {
            return "recovery";
        }
        return dupAcks > 0 || (scoreboard != null && !scoreboard.isEmpty()) ? "disorder" : "open";
    }

    /** The congestion control algorithm (Linux icsk_ca_ops->name). */
    String congestionAlgorithm() {
        return "reno";
    }

    /** Linux tp->reordering: how many segments above a hole mean it is lost. */
    int reordering() {
        return SackScoreboard.DUP_THRESH;
    }

    @Override
    public String toString() {
        return io.tcpstack.wire.Ipv4Address.format(localAddress) + ":" + localPort + " "
                + io.tcpstack.wire.Ipv4Address.format(remoteAddress) + ":" + remotePort + " " + state;
    }
}
