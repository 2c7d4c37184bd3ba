package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.tcp.congestion.CaState;
import io.tcpstack.tcp.congestion.CongestionControl;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.time.Timeout;
import io.tcpstack.wire.IpAddress;
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
    /** Our address and the peer's, of one family (IPv4 ones IPv4-mapped, {@link IpAddress}). */
    public final IpAddress localAddress;
    public final int localPort;
    public final IpAddress remoteAddress;
    public final int remotePort;
    /** The 4-tuple's key in the connection and TIME_WAIT tables ({@link Demux#key}). */
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
    int peerMss = TcpSettings.MSS_DEFAULT;
    /** Data bytes per full segment we send (peer MSS less our TCP options). */
    int sndMss;
    /** Data bytes per full segment we expect (Linux rcv_mss), for the ACK-every-2-segments rule. */
    int rcvMss;
    /** Linux rcv_ssthresh: the most window we offer; starts at the initial window and grows with the data. */
    int rcvSsthresh;
    /** Linux sk_rcvbuf: the receive buffer's size; half of it is window (the receive ring's capacity). */
    int rcvbuf;
    /** Receive-buffer autotuning (tcp_moderate_rcvbuf; off once an application sets its size). */
    boolean moderateRcvbuf;
    /** Linux rcvq_space: bytes read per receiver RTT, and where and when the current measurement began. */
    int rcvqSpace;
    int rcvqSpaceSeq;
    long rcvqSpaceNanos;
    /** Linux rcv_rtt_est: the receiver's RTT estimate in us x 8, and its measurement state. */
    long rcvRttMicros8;
    int rcvRttSeq;
    long rcvRttNanos;
    int rcvRttLastTsecr;

    // buffers
    final ByteRing sendBuffer;
    final ByteRing receiveBuffer;
    final Reassembly reassembly = new Reassembly();
    /** Pages of the stack's memory budget this connection holds (Linux sk_forward_alloc + what it queues; {@link TcpMemory}). */
    int memPages;
    /**
     * The SACK blocks of the segment being built (per connection: workers transmit for
     * different connections at once).
     */
    final int[] sackOut = new int[2 * TcpOptions.MAX_SACK_BLOCKS];
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

    // retransmission timer (RFC 6298)
    final RttEstimator rtt;
    /** Number of retransmissions of the current head (Linux icsk_retransmits). */
    int retransmits;
    /** When the first of the current retransmissions went out, ms (Linux retrans_stamp); 0 none. */
    long retransStampMs;
    /** A SYN has been resent early after an unacceptable ACK (stack/BEHAVIOURS.md 2: at most once). */
    boolean earlySynResendArmed;
    /** When our SYN (or SYN-ACK) went out, for the handshake's RTT sample (clock ns). */
    long rttStartNanos;
    /** Minimum RTT over the last 300 s (Linux tcp_min_rtt), us; 0 none yet. */
    long minRttMicros;
    long minRttStampMs;
    /** Zero-window probe backoff (Linux icsk_probes_out) and keepalive probes sent. */
    int probesOut;

    // sender: what is in flight, loss detection and recovery, congestion control (Linux tcp_sock)
    final RetransmitQueue rtx = new RetransmitQueue();
    final CongestionState cong = new CongestionState(TcpSettings.INIT_CWND);
    final CongestionControl cc;
    CaState caState = CaState.OPEN;
    /** Linux high_seq: snd.nxt when the current recovery, loss or cwnd reduction began. */
    int highSeq;
    /** Undo is possible (Linux undo_marker != 0); snd.una when recovery began. */
    boolean undoArmed;
    int undoMarker;
    /** Retransmissions of this recovery not yet shown spurious by D-SACK (-1: none sent yet). */
    int undoRetrans;
    /** ssthresh before the reduction, restored by an undo (0: no undo of ssthresh). */
    int priorSsthresh;
    /** PRR (RFC 6937): segments delivered and sent since the reduction began. */
    int prrDelivered;
    int prrOut;
    /** Linux tp->reordering: the reordering degree in segments (the duplicate-ACK threshold). */
    int reordering;
    /** Times reordering was detected (Linux reord_seen). */
    int reordSeen;
    final Rack rack = new Rack();
    /** A tail loss probe is outstanding until an ACK reaches tlpHighSeq (RFC 8985 7). */
    boolean tlpPending;
    int tlpHighSeq;
    /** The outstanding probe was a retransmission (not new data). */
    boolean tlpRetrans;
    /** Segments delivered (Linux tp->delivered) and when the last were, clock ns. */
    long delivered;
    long deliveredNanos;
    /** Send time of the latest transmission (RetransmitQueue times are strictly increasing), clock ns. */
    long lastSentNanos;
    /** When the ACK being processed arrived (Linux tcp_mstamp), clock ns. */
    long ackNanos;
    /** Segments marked lost, ever (Linux tp->lost). */
    long lostTotal;
    /** Retransmitted segments, ever (Linux total_retrans), and those D-SACKs reported as duplicates. */
    long totalRetrans;
    long dsackDups;
    /** Linux bytes_sent, bytes_retrans, bytes_acked, bytes_received (ss -ti). */
    long bytesSent;
    long bytesRetrans;
    long bytesAcked;
    long bytesReceived;
    /** The last delivery rate sample, bits per second (ss -ti delivery_rate). */
    long deliveryRateBps;
    /** End of the last segment sent shorter than sndMss (Linux snd_sml, Minshall's Nagle). */
    int sndSml;
    /** snd.nxt when the current window's cwnd use began to be tracked (Linux cwnd_usage_seq). */
    int cwndUsageSeq;
    /** Scratch state of the ACK being processed. */
    final TcpAck.State ackState = new TcpAck.State();

    // delayed ACK (Linux icsk_ack)
    int quickAcks = TcpSettings.MAX_QUICKACKS;
    long atoMs;
    long lastDataRecvMs;
    /** Full segments received since our last ACK. */
    int segmentsSinceAck;
    boolean ackPending;
    /** Last time an out-of-window / challenge ACK was sent, ms (tcp_oow_rate_limited). */
    long lastOowAckMs = Long.MIN_VALUE / 2;
    /** Last time data arrived or was sent, ms (keepalive idle). */
    long lastActivityMs;

    /** TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT of this socket; 0: the sysctl's. */
    long keepIdleMs;
    long keepIntvlMs;
    int keepCnt;
    /** RFC 3168 state: {@link Ecn}'s flags. */
    int ecnFlags;

    /** IP identification of our next packet (Linux inet_id: per socket, random start). */
    int ipId;
    /**
     * IPv6 flow label of our packets (RFC 6437; Linux auto_flowlabels: a random per-socket hash,
     * sk_txhash, which a retransmission timeout draws again, sk_rethink_txhash).
     */
    int flowLabel;
    /** The path MTU our segments are sized for (Linux icsk_pmtu_cookie). */
    int pmtu;
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
    /** Segment counts and times for ctl conns -i that no protocol variable holds. */
    final ConnectionCounters counters = new ConnectionCounters();

    final Timeout retransmitTimer;
    final Timeout delackTimer;
    final Timeout keepaliveTimer;
    /** Deadline of the logical timer the retransmit Timeout serves: RTO, probe0, or SYN-ACK. */
    TimerKind retransmitKind = TimerKind.NONE;

    enum TimerKind {
        NONE,
        /** The retransmission timeout (ICSK_TIME_RETRANS). */
        RETRANSMIT,
        /** A zero-window probe (ICSK_TIME_PROBE0). */
        PERSIST,
        /** RACK's reordering window of a segment not yet known lost (ICSK_TIME_REO_TIMEOUT). */
        REO_TIMEOUT,
        /** The tail loss probe (ICSK_TIME_LOSS_PROBE). */
        LOSS_PROBE
    }

    Tcb(TcpLayer layer, IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
        this.layer = layer;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.key = Demux.key(remoteAddress, remotePort, localPort);
        this.txQueue = Math.floorMod(Long.hashCode(key * 0x9E3779B97F4A7C15L), Math.max(layer.queueCount(), 1));
        TcpSettings settings = layer.settings();
        this.sendBuffer = new ByteRing(settings.wmem.max());
        this.rcvbuf = settings.rmem.initial();
        this.receiveBuffer = new ByteRing(RcvBufAutotuning.windowFromSpace(rcvbuf));
        this.moderateRcvbuf = settings.moderateRcvbuf;
        this.rtt = new RttEstimator(layer.settings().rtoMinMs * 1000, layer.settings().rtoMaxMs * 1000);
        this.cc = CongestionControl.of(settings.congestionControl, layer.stats());
        this.reordering = layer.settings().reordering;
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
        return tsValAt(layer.clock().nanos());
    }

    /** A difference of our timestamp values (an RTT measured by TSecr) in microseconds. */
    long tsTicksToMicros(int ticks) {
        return ticks * (1_000_000L / tsHz);
    }

    /**
     * The congestion variables with the connection's current snd.una, snd.nxt and time, as the
     * algorithm is about to see them.
     */
    CongestionState congestion() {
        cong.sndUna = sndUna;
        cong.sndNxt = sndNxt;
        cong.nowMicros = layer.clock().nanos() / 1000;
        cong.delivered = delivered;
        return cong;
    }

    /** The timestamp value we sent (or would have) at clock time {@code nanos}. */
    int tsValAt(long nanos) {
        return (int) (nanos / (1_000_000_000L / tsHz)) + tsOffset;
    }

    @Override
    public String toString() {
        return localAddress.withPort(localPort) + " " + remoteAddress.withPort(remotePort) + " " + state;
    }
}
