package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.SynOptions;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.inbound.LookupObserver;
import io.tcpstack.ip.FlowLabel;
import io.tcpstack.ip.Icmp6;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.ip.Ipv6Transport;
import io.tcpstack.ip.TransportHandler;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.profile.TsOffsetMode;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.time.TimerQueue;
import io.tcpstack.trace.Rule;
import io.tcpstack.trace.TraceLadder;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.Ipv6View;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

/**
 * TCP for the stack's local addresses, one per family: input demultiplexing (Linux tcp_v4_rcv
 * and tcp_v6_rcv), the listeners (each on both families, as a dual-stack socket), active opens,
 * and the state changes every part shares. Thread-safe: one reader thread per queue calls
 * {@link #receive}; applications and the timer thread call the rest.
 */
public final class TcpLayer implements TransportHandler, Ipv6Transport {
    private final IpOutput ip;
    private final TcpSettings settings;
    private final StackStats stats;
    private final Clock clock;
    private final TimerQueue timers;
    private final TcpOutput output;
    private final TcpInput input;
    private final LossRecovery recovery;
    private final TcpAck ack;
    private final TcpReceive receive;
    private final ListenInput listenInput;
    private final ResourceLimits limits;
    private final TcpMemory memory;
    private final TimeWait timeWait;
    private final TcpTrace trace;
    private final IsnGenerator isn;
    private final EphemeralPorts ports;
    private final Demux demux = new Demux();
    private final ConcurrentHashMap<Integer, Listener> listeners = new ConcurrentHashMap<>();
    private final Segment[] segments;
    private volatile LookupObserver lookupObserver;

    /** Per-connection random choices (the IP ID's start), from the stack's seed; under its own lock. */
    private final RandomGenerator random;

    /**
     * @param random the source of every random choice of this layer (secrets, IP IDs): seeded for
     *     runs that must repeat, else fresh; used under its own lock
     */
    public TcpLayer(IpOutput ip, int queueCount, TcpSettings settings, StackStats stats, Clock clock,
            TimerQueue timers, Tracer tracer, RandomGenerator random) {
        this.ip = ip;
        this.settings = settings;
        this.stats = stats;
        this.clock = clock;
        this.timers = timers;
        this.trace = new TcpTrace(tracer, clock, this);
        this.output = new TcpOutput(this, ip);
        this.recovery = new LossRecovery(this);
        this.ack = new TcpAck(this, recovery);
        this.receive = new TcpReceive(this);
        this.input = new TcpInput(this);
        this.timeWait = new TimeWait(this);
        this.random = random;
        this.isn = new IsnGenerator(clock, random);
        this.ports = new EphemeralPorts(random);
        this.listenInput = new ListenInput(this, random);
        this.limits = new ResourceLimits(this);
        this.memory = new TcpMemory(this);
        this.segments = new Segment[queueCount];
        for (int i = 0; i < queueCount; i++) {
            segments[i] = new Segment();
        }
    }

    // ---- shared parts

    TcpSettings settings() {
        return settings;
    }

    StackStats stats() {
        return stats;
    }

    Clock clock() {
        return clock;
    }

    long nowMs() {
        return clock.millis();
    }

    /** Our timestamp clock now, at the tcp_ts_hz knob's rate (before a connection's offset). */
    int tsClock() {
        return (int) (clock.nanos() / (1_000_000_000L / settings.tsHz));
    }

    TimerQueue timers() {
        return timers;
    }

    TcpOutput output() {
        return output;
    }

    TcpInput input() {
        return input;
    }

    ResourceLimits limits() {
        return limits;
    }

    TcpMemory memory() {
        return memory;
    }

    LossRecovery recovery() {
        return recovery;
    }

    TcpAck ack() {
        return ack;
    }

    TcpReceive receive() {
        return receive;
    }

    TcpTrace trace() {
        return trace;
    }

    TimeWait timeWait() {
        return timeWait;
    }

    Demux demux() {
        return demux;
    }

    /** Our address of {@code peer}'s family, or null when the stack has none of it. */
    IpAddress localAddress(IpAddress peer) {
        return ip.localAddress(peer);
    }

    int queueCount() {
        return segments.length;
    }

    // ---- input (Linux tcp_v4_rcv, tcp_v6_rcv)

    @Override
    public void receive(int queue, Ipv4View ip) {
        int length = ip.payloadLength();
        receive(queue, ip.buf(), ip.payloadOffset(), length,
                Checksum.pseudoHeader(ip.source(), ip.destination(), IpProtocol.TCP, length), 0,
                IpAddress.v4Lo(ip.source()), ip.tos() & 3);
    }

    @Override
    public void receive(int queue, Ipv6View ip) {
        int length = ip.payloadLength();
        receive(queue, ip.buf(), ip.payloadOffset(), length, ip.pseudoHeader(IpProtocol.TCP, length), ip.sourceHi(),
                ip.sourceLo(), ip.trafficClass() & 3);
    }

    /**
     * The segment of {@code length} bytes at {@code offset}, from the source address
     * sourceHi:sourceLo, with the ECN bits {@code ipEcn} of its IP header (RFC 3168 5).
     */
    private void receive(int queue, ByteBuf buf, int offset, int length, long pseudoHeader, long sourceHi,
            long sourceLo, int ipEcn) {
        if (length < TcpView.MIN_HEADER_LENGTH) {
            stats.inc(Counter.TcpInErrs);
            stats.drop(DropReason.TCP_TOO_SHORT);
            return;
        }
        int dataOffset = (buf.getUnsignedByte(offset + 12) >>> 4) * 4;
        if (dataOffset < TcpView.MIN_HEADER_LENGTH || dataOffset > length) {
            stats.inc(Counter.TcpInErrs);
            stats.drop(DropReason.TCP_DATA_OFFSET);
            return;
        }
        Segment seg = segments[queue];
        seg.tcp.wrap(buf, offset, length);
        if (!seg.tcp.checksumValid(pseudoHeader)) {
            stats.inc(Counter.TcpInCsumErrors);
            stats.inc(Counter.TcpInErrs);
            stats.drop(DropReason.TCP_CSUM);
            return;
        }
        stats.inc(Counter.TcpInSegs);
        seg.load(queue, sourceHi, sourceLo, buf, offset, length);
        seg.ipEcn = ipEcn;
        deliver(seg, 0);
        Wakeups.runPostedHandlers(); // handlers run here unless this thread's burst flush runs them
    }

    /**
     * Linux tcp_v6_err for a Packet Too Big about a segment we sent: the connection it belongs
     * to, if the quoted sequence number is in flight (else TcpExtOutOfWindowIcmps), sizes its
     * segments for the new path MTU and sends again what no longer fits (tcp_v6_mtu_reduced). An
     * MTU below 1280 is ignored, as Linux does (RFC 8201 4). Other errors are counted by ICMPv6.
     */
    @Override
    public void error(int queue, int type, int code, int info, Ipv6View quoted) {
        if (type != Icmp6.TYPE_PACKET_TOO_BIG || info < Ipv6View.MIN_MTU) {
            return;
        }
        ByteBuf buf = quoted.buf();
        int o = quoted.payloadOffset();
        int localPort = buf.getUnsignedShort(o);
        int remotePort = buf.getUnsignedShort(o + 2);
        int seq = buf.getInt(o + 4);
        long hi = quoted.destinationHi();
        long lo = quoted.destinationLo();
        Tcb tcb = demux.get(Demux.key(hi, lo, remotePort, localPort), hi, lo);
        if (tcb == null) {
            return;
        }
        tcb.lock.lock();
        try {
            if (tcb.state == TcpState.CLOSED) {
                return;
            }
            if (!SeqNum.between(seq, tcb.sndUna, tcb.sndNxt)) {
                stats.inc(Counter.TcpExtOutOfWindowIcmps);
                return;
            }
            output.mtuReduced(tcb, info);
        } finally {
            tcb.lock.unlock();
        }
    }

    private void deliver(Segment seg, int isnFromTimeWait) {
        long key = Demux.key(seg.sourceHi, seg.sourceLo, seg.sourcePort, seg.destinationPort);
        Tcb tcb = demux.get(key, seg.sourceHi, seg.sourceLo);
        if (tcb != null) {
            // lookup, then lock (Linux tcp_v4_rcv then bh_lock_sock): the entry may have been
            // closed or replaced in between; Linux drops such a segment (reason TCP_CLOSE)
            betweenLookupAndLock(seg.queue, key);
            tcb.lock.lock();
            try {
                if (tcb.state == TcpState.CLOSED) {
                    stats.inc(Counter.TcpExtStaleLookupDrop);
                    drop(seg, DropReason.TCP_CLOSE);
                    return;
                }
                trace.segmentIn(seg, tcb.state.ssName());
                input.process(tcb, seg);
                tcb.counters.received(seg, clock.nanos());
                trace.vars(tcb, TraceLadder.AFTER_SEGMENT);
            } finally {
                trace.clearCause();
                tcb.lock.unlock();
            }
            return;
        }
        switch (timeWait.process(key, seg)) {
            case DONE -> {
                return;
            }
            case SYN -> {
                Listener l = listeners.get(seg.destinationPort);
                if (l == null || l.isClosed()) {
                    timeWait.ack(key, seg.sourceHi, seg.sourceLo); // no listener: Linux falls through to TCP_TW_ACK
                    return;
                }
                Integer isn = timeWait.takeForSuccessor(key, seg.sourceHi, seg.sourceLo);
                if (isn != null) {
                    deliver(seg, isn);
                    return;
                }
            }
            case NONE -> {
            }
        }
        Listener listener = listeners.get(seg.destinationPort);
        if (listener == null || listener.isClosed()) {
            trace.segmentIn(seg, "no socket");
            drop(seg, DropReason.TCP_NO_SOCKET);
            output.sendResetFor(seg);
            return;
        }
        if (seg.has(TcpView.SYN) && !seg.has(TcpView.ACK) && timeWait.recycleRejects(seg)) {
            stats.inc(Counter.TcpExtPAWSPassive); // tw_recycle: the SYN vanishes, the client times out
            stats.drop(DropReason.TCP_RFC7323_PAWS);
            trace.drop(seg, DropReason.TCP_RFC7323_PAWS, Rule.TW_RECYCLE);
            return;
        }
        trace.segmentIn(seg, "LISTEN");
        if (listenInput.process(listener, seg, isnFromTimeWait) == ListenInput.Verdict.RETRY) {
            deliver(seg, isnFromTimeWait); // another queue created the connection first
        }
    }

    private void betweenLookupAndLock(int queue, long key) {
        long delay = settings.lookupDelayMicros;
        if (delay > 0) {
            clock.pause(delay * 1000);
        }
        LookupObserver observer = lookupObserver;
        if (observer != null) {
            observer.afterLookup(queue, key);
        }
    }

    public void setLookupObserver(LookupObserver observer) {
        this.lookupObserver = observer;
    }

    // ---- active open

    /** As {@link #connect(IpAddress, int, int)} to the IPv4 address {@code remoteAddress} (big-endian). */
    public TcpConnection connect(int remoteAddress, int remotePort, int localPort) {
        return connect(IpAddress.v4(remoteAddress), remotePort, localPort);
    }

    /**
     * Starts an active open (RFC 9293 3.10.1, OPEN call): picks the local port (RFC 6056) unless
     * {@code localPort} is given, sends the SYN and returns the Tcb in SYN-SENT.
     *
     * @throws IllegalStateException (EADDRNOTAVAIL / EADDRINUSE) when no 4-tuple is free, or
     *     (ENETUNREACH) when the stack has no address of the remote address's family, or it is
     *     not one a connection can go to
     */
    public TcpConnection connect(IpAddress remoteAddress, int remotePort, int localPort) {
        return connect(remoteAddress, remotePort, localPort, SynOptions.DEFAULT);
    }

    /** As {@link #connect(IpAddress, int, int)}, with a SYN that offers {@code options}. */
    public TcpConnection connect(IpAddress remoteAddress, int remotePort, int localPort, SynOptions options) {
        IpAddress local = localAddress(remoteAddress);
        if (local == null || (!remoteAddress.isV4() && !settings.ipv6)) {
            throw new IllegalStateException("network is unreachable: the stack has no "
                    + (remoteAddress.isV4() ? "IPv4" : "IPv6") + " address for " + remoteAddress.withPort(remotePort));
        }
        if (!unicast(remoteAddress)) {
            throw new IllegalStateException("network is unreachable: " + remoteAddress + " is not a unicast address");
        }
        if (limits.atConnectionLimit()) {
            throw new IllegalStateException("too many connections: max-connections is " + settings.maxConnections);
        }
        Tcb tcb;
        if (localPort == 0) {
            ports.setRange(settings.portRangeLow, settings.portRangeHigh);
            Tcb[] claimed = new Tcb[1];
            int port = ports.select(local, remoteAddress, remotePort, p -> {
                claimed[0] = listeners.containsKey(p) ? null : claim(remoteAddress, remotePort, p, false, options);
                return claimed[0] != null;
            });
            if (port < 0) {
                throw new IllegalStateException("cannot assign requested address: no free local port in "
                        + settings.portRangeLow + "-" + settings.portRangeHigh);
            }
            tcb = claimed[0];
        } else {
            tcb = claim(remoteAddress, remotePort, localPort, true, options);
            if (tcb == null) {
                throw new IllegalStateException("address already in use: local port " + localPort + " to "
                        + remoteAddress.withPort(remotePort));
            }
        }
        tcb.lock.lock();
        try {
            stats.inc(Counter.TcpActiveOpens);
            trace.state(tcb, TcpState.CLOSED, TcpState.SYN_SENT, Rule.ACTIVE_OPEN);
            tcb.synTsVal = tcb.tsVal();
            tcb.rttStartNanos = clock.nanos();
            Ecn.onConnect(tcb);
            output.sendSyn(tcb);
            TcpTimers.armSynRetransmit(tcb);
            trace.vars(tcb, "after connect");
        } finally {
            tcb.lock.unlock();
        }
        return tcb.connection;
    }

    /**
     * A Tcb in SYN-SENT holding the 4-tuple, or null if it is taken: by a connection, or by a
     * TIME_WAIT record that tw_reuse does not let go ({@code bound}: the application chose the
     * local port).
     */
    private Tcb claim(IpAddress remoteAddress, int remotePort, int localPort, boolean bound, SynOptions options) {
        long key = Demux.key(remoteAddress, remotePort, localPort);
        long hi = remoteAddress.hi();
        long lo = remoteAddress.lo();
        if (demux.contains(key, hi, lo)) {
            return null;
        }
        Tcb tcb = new Tcb(this, localAddress(remoteAddress), localPort, remoteAddress, remotePort);
        offerOptions(tcb, options);
        tcb.state = TcpState.SYN_SENT;
        int iss = isn.isn(tcb.localAddress, localPort, remoteAddress, remotePort);
        if (timeWait.contains(key, hi, lo)) {
            TimeWait.Reuse reuse = timeWait.reuse(key, hi, lo, bound);
            if (reuse == null) {
                return null;
            }
            // tcp_twsk_unique: the new connection starts past the old one and keeps its TS.Recent
            iss = reuse.iss();
            tcb.tsRecent = reuse.tsRecent();
            tcb.tsRecentStampMs = reuse.tsRecentStampMs();
        }
        initSendSequence(tcb, iss);
        return demux.putIfAbsent(tcb) == null ? tcb : null;
    }

    /**
     * A unicast address a connection can go to (Linux tcp_v4_connect refuses multicast and
     * broadcast routes, tcp_v6_connect multicast, ENETUNREACH); IPv4 keys rely on it ({@link
     * Demux#key}).
     */
    private static boolean unicast(IpAddress address) {
        if (address.isV4()) {
            int a = address.v4();
            return a != 0 && (a >>> 28) != 0xe && a != -1;
        }
        return !IpAddress.isMulticast(address.hi()) && !address.isUnspecified();
    }

    void initSendSequence(Tcb tcb, int iss) {
        tcb.iss = iss;
        tcb.sndUna = iss;
        tcb.sndNxt = iss + 1;
        tcb.highSeq = iss;
        tcb.sndSml = iss;
        tcb.cwndUsageSeq = iss;
        synchronized (random) {
            tcb.ipId = random.nextInt(0x10000);
        }
        tcb.flowLabel = newFlowLabel();
    }

    /** A connection's IPv6 flow label: a random flow hash (Linux net_tx_rndhash, sk_txhash), from the stack's seed. */
    int newFlowLabel() {
        synchronized (random) {
            return FlowLabel.of(random.nextInt() | 1);
        }
    }

    /** Linux net.core.rmem_max's default: the window scale covers at least this much. */
    private static final int CORE_RMEM_MAX = 212_992;

    /** RFC 6528: the ISN of a new connection from us on {@code localPort}. */
    int isn(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
        return isn.isn(localAddress, localPort, remoteAddress, remotePort);
    }

    /**
     * What our SYN offers (stack/BEHAVIOURS.md 6): MSS (from the path MTU to the peer), SACK,
     * timestamps, window scale; the knobs' choices unless the connection's {@code options} say
     * otherwise.
     */
    void offerOptions(Tcb tcb, SynOptions options) {
        tcb.pmtu = ip.pathMtu(tcb.remoteAddress);
        int ourMss = output.ourMss(tcb);
        tcb.advMss = options.mss() > 0 ? Math.min(options.mss(), ourMss) : ourMss;
        tcb.rcvMss = tcb.advMss;
        tcb.sndMss = Math.min(tcb.peerMss, tcb.rcvMss);
        tcb.sackOk = SynOptions.or(options.sack(), settings.sack);
        tcb.tsOk = SynOptions.or(options.timestamps(), settings.timestamps);
        tcb.wscaleOk = SynOptions.or(options.windowScaling(), settings.windowScaling);
        tcb.tsHz = settings.tsHz;
        tcb.rcvWscale = tcb.wscaleOk ? ourWindowScale() : 0;
        tcb.rcvSsthresh = tcb.receiveBuffer.capacity();
        tcb.tsOffset = tsOffset(tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort);
    }

    /** Linux tcp_select_initial_window: the scale fits the largest buffer (tcp_rmem's max) in 16 bits. */
    int ourWindowScale() {
        int space = Math.max(settings.rmem.max(), CORE_RMEM_MAX);
        return Math.max(0, Math.min(31 - Integer.numberOfLeadingZeros(space) - 15, TcpOptions.MAX_WSCALE));
    }

    /** The offset of our timestamp clock for a connection on this 4-tuple (RFC 7323 5.4). */
    int tsOffset(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
        return switch (settings.tsOffsetMode) {
            case PER_CONNECTION -> isn.tsOffset(localAddress, remoteAddress, localPort, remotePort);
            case PER_HOST -> isn.tsOffsetPerHost(localAddress, remoteAddress);
            case NONE -> 0;
        };
    }

    /**
     * The most our SYN (or SYN-ACK) may offer, for segments of {@code mss}: unlimited (64 KiB,
     * Linux >= 4.19, a337531b942b) or, with the init-rwnd knob, that many segments, as Linux 3.12 to
     * 4.18 offered 2 x TCP_INIT_CWND = 20 (tcp_default_init_rwnd, fewer for an MSS above 1460).
     */
    int initialWindowLimit(int mss) {
        int segments = settings.initRwnd;
        if (segments == 0) {
            return Integer.MAX_VALUE;
        }
        if (mss > 1460) {
            segments = Math.max(1460 * segments / mss, 2);
        }
        return segments * mss;
    }

    /** Takes what the peer's SYN offers (RFC 9293 3.7.1, RFC 7323, RFC 2018). */
    void negotiate(Tcb tcb, TcpOptions o) {
        tcb.peerMss = o.mss > 0 ? o.mss : TcpSettings.MSS_DEFAULT;
        tcb.wscaleOk = tcb.wscaleOk && o.wscale >= 0;
        tcb.sndWscale = tcb.wscaleOk ? o.wscale : 0;
        if (!tcb.wscaleOk) {
            tcb.rcvWscale = 0;
        }
        tcb.sackOk = tcb.sackOk && o.sackPermitted;
        tcb.tsOk = tcb.tsOk && o.hasTimestamp;
        int optionBytes = tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        int ourMss = tcb.advMss;
        tcb.sndMss = Math.max(Math.min(tcb.peerMss, ourMss) - optionBytes, 1);
        tcb.rcvMss = Math.max(Math.min(tcb.peerMss, ourMss) - optionBytes, 1);
    }

    // ---- passive open

    /** Opens {@code port} for connections (RFC 9293 3.10.1, passive OPEN), for {@link #accept}. */
    public Listener listen(int port, int backlog) {
        return listen(port, backlog, null);
    }

    /**
     * Opens {@code port} for connections; with an {@code acceptor}, each is handed to it as its
     * handshake completes (event-driven), else they wait for {@link #accept}.
     */
    public Listener listen(int port, int backlog, TcpHandler.Acceptor acceptor) {
        return listen(port, backlog, acceptor, SynOptions.DEFAULT);
    }

    /** As {@link #listen(int, int, TcpHandler.Acceptor)}, with SYN-ACKs that offer {@code options}. */
    public Listener listen(int port, int backlog, TcpHandler.Acceptor acceptor, SynOptions options) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        // Linux listen(2): sk_max_ack_backlog = min(backlog, somaxconn)
        Listener listener = new Listener(this, port, Math.min(Math.max(backlog, 0), settings.somaxconn), acceptor,
                options);
        if (listeners.putIfAbsent(port, listener) != null) {
            throw new IllegalStateException("address already in use: port " + port + " is listening");
        }
        return listener;
    }

    /** Waits up to {@code timeoutMillis} (0 = forever) for an established connection; null on timeout or close. */
    public TcpConnection accept(Listener listener, long timeoutMillis) throws InterruptedException {
        Tcb tcb = listener.accept(timeoutMillis);
        return tcb == null ? null : accepted(tcb);
    }

    /** An established connection if one is waiting, else null. */
    public TcpConnection pollAccept(Listener listener) {
        Tcb tcb = listener.poll();
        return tcb == null ? null : accepted(tcb);
    }

    private TcpConnection accepted(Tcb tcb) {
        tcb.lock.lock();
        try {
            tcb.listener = null;
        } finally {
            tcb.lock.unlock();
        }
        return tcb.connection;
    }

    /** Closes a listener and resets the connections nobody accepted (Linux inet_csk_listen_stop). */
    public void closeListener(Listener listener) {
        listeners.remove(listener.port, listener);
        for (Tcb tcb : listener.close()) {
            tcb.lock.lock();
            try {
                if (tcb.state != TcpState.CLOSED) {
                    close(tcb, TcpError.ABORTED, true);
                }
            } finally {
                tcb.lock.unlock();
            }
        }
    }

    // ---- state changes (under the Tcb lock)

    void setState(Tcb tcb, TcpState state) {
        setState(tcb, state, transition(tcb.state, state));
    }

    private void setState(Tcb tcb, TcpState state, Rule rule) {
        TcpState from = tcb.state;
        tcb.state = state;
        trace.state(tcb, from, state, rule);
        Wakeups.notify(tcb);
    }

    /**
     * The rule behind a move along an edge of RFC 9293's state diagram (Figure 5); each edge has
     * one, except into CLOSED, which {@link #close} names from the error.
     */
    static Rule transition(TcpState from, TcpState to) {
        return switch (to) {
            case SYN_SENT -> Rule.ACTIVE_OPEN;
            case SYN_RECEIVED -> from == TcpState.SYN_SENT ? Rule.SIMULTANEOUS_OPEN : Rule.PASSIVE_OPEN;
            case ESTABLISHED -> from == TcpState.SYN_SENT ? Rule.HANDSHAKE_ACK : Rule.HANDSHAKE_DONE;
            case FIN_WAIT_1, LAST_ACK -> Rule.CLOSE_CALL;
            case CLOSE_WAIT -> Rule.PEER_FIN;
            // an orphan's full socket becoming a record (TimeWait.enter) keeps the state name
            case FIN_WAIT_2 -> from == TcpState.FIN_WAIT_2 ? Rule.FIN_WAIT_2_RECORD : Rule.FIN_ACKED;
            case CLOSING -> Rule.SIMULTANEOUS_CLOSE;
            case TIME_WAIT -> Rule.TIME_WAIT;
            case CLOSED -> from == TcpState.LAST_ACK ? Rule.FIN_ACKED : Rule.CLOSED_QUIETLY;
            case LISTEN -> Rule.PASSIVE_OPEN;
        };
    }

    /** The handshake completed (SYN-SENT or SYN-RECEIVED -> ESTABLISHED). */
    void established(Tcb tcb) {
        tcb.counters.establishedNanos = clock.nanos();
        setState(tcb, TcpState.ESTABLISHED);
        tcb.retransmits = 0;
        tcb.retransStampMs = 0;
        tcb.cong.cwnd = TcpSettings.INIT_CWND;
        tcb.cc.init(tcb.congestion());
        tcb.lastActivityMs = nowMs();
        TcpReceive.initBufferSpace(tcb, clock.nanos());
        TcpTimers.rearmRto(tcb);
        TcpTimers.armKeepalive(tcb);
        if (tcb.listener != null) {
            stats.inc(Counter.TcpPassiveOpens);
            tcb.listener.established(tcb);
        }
    }

    /** A valid RST arrived (RFC 9293 3.10.7.4 second; Linux tcp_reset). */
    void reset(Tcb tcb) {
        TcpError error = switch (tcb.state) {
            case SYN_SENT -> TcpError.CONNECTION_REFUSED;
            case CLOSE_WAIT -> TcpError.BROKEN_PIPE;
            default -> TcpError.CONNECTION_RESET;
        };
        close(tcb, tcb.listener != null && tcb.state == TcpState.SYN_RECEIVED ? null : error, false, Rule.RESET_RECEIVED);
    }

    /**
     * Ends a connection: CLOSED, out of the demux table, timers stopped, waiters woken. {@code
     * error} is what the application will see (null: a normal close).
     */
    void close(Tcb tcb, TcpError error, boolean sendReset) {
        Rule rule = error == null ? transition(tcb.state, TcpState.CLOSED) : switch (error) {
            case TIMED_OUT -> Rule.TIMED_OUT;
            case ABORTED -> Rule.ABORTED;
            case CONNECTION_REFUSED, CONNECTION_RESET, BROKEN_PIPE -> Rule.RESET_RECEIVED;
        };
        close(tcb, error, sendReset, rule);
    }

    private void close(Tcb tcb, TcpError error, boolean sendReset, Rule rule) {
        TcpState from = tcb.state;
        if (from == TcpState.CLOSED) {
            return;
        }
        if (sendReset) {
            trace.cause(tcb, Rule.RST_ABORT);
            output.sendReset(tcb);
        }
        if (from == TcpState.ESTABLISHED || from == TcpState.CLOSE_WAIT) {
            if (error != null) {
                stats.inc(Counter.TcpEstabResets); // Linux tcp_set_state: ESTABLISHED/CLOSE_WAIT -> CLOSE
            }
        } else if (from == TcpState.SYN_SENT || from == TcpState.SYN_RECEIVED) {
            stats.inc(Counter.TcpAttemptFails);
        }
        if (error != null) {
            tcb.error = error;
        }
        setState(tcb, TcpState.CLOSED, rule);
        release(tcb);
        demux.remove(tcb);
    }

    /** Marks a Tcb CLOSED after its 4-tuple moved on (to a TIME_WAIT record, or gone). */
    void release(Tcb tcb) {
        tcb.state = TcpState.CLOSED;
        TcpTimers.cancelAll(tcb);
        if (tcb.orphan) {
            limits.orphanGone();
        }
        memory.release(tcb);
        if (tcb.listener != null) {
            Listener l = tcb.listener;
            tcb.listener = null;
            l.abandoned(tcb);
        }
        Wakeups.notify(tcb);
    }

    void drop(Tcb tcb, Segment seg, DropReason reason) {
        drop(seg, reason);
    }

    void drop(Segment seg, DropReason reason) {
        stats.drop(reason);
        trace.drop(seg, reason);
    }

    /** Linux tcp_check_req: a handshake completing into a full accept queue is dropped (ListenInput). */
    boolean acceptQueueOverflow(Tcb tcb, Segment seg) {
        return listenInput.acceptQueueOverflow(tcb, seg);
    }

    // ---- views

    /**
     * Every connection and TIME_WAIT/FIN_WAIT_2 record, like {@code ss -tan}; a listener once per
     * family the stack has an address of, as two bound sockets show.
     */
    public List<ConnectionInfo> connections() {
        List<ConnectionInfo> list = new ArrayList<>();
        for (Listener l : listeners.values()) {
            for (IpAddress any : new IpAddress[] {IpAddress.v4(0), IpAddress.V6_UNSPECIFIED}) {
                IpAddress local = localAddress(any);
                if (local != null) {
                    list.add(new ConnectionInfo(TcpState.LISTEN, local, l.port, any, 0, l.acceptQueueLength(), l.backlog,
                            null));
                }
            }
        }
        demux.forEach((key, tcb) -> list.add(TcpInfo.of(tcb)));
        timeWait.forEach(list::add);
        return list;
    }

    /** Connections with a full control block (every state but LISTEN and the records). */
    public int connectionCount() {
        return demux.size();
    }

    /** Connections closed by their application and still finishing (Linux: orphans). */
    public int orphanCount() {
        return limits.orphanCount();
    }

    /** Pages of the memory budget the connections hold (tcp_memory_allocated; sockstat's "mem"). */
    public long memoryPages() {
        return memory.allocatedPages();
    }

    /** Whether the stack is under memory pressure (tcp_memory_pressure). */
    public boolean memoryPressure() {
        return memory.underPressure();
    }

    /** Number of TIME_WAIT and FIN_WAIT_2 records. */
    public int timeWaitCount() {
        return timeWait.count();
    }

    /**
     * ABORT of the connection on this 4-tuple from outside its owner (Linux tcp_abort, which ss -K
     * reaches through sock_diag): RST where the state has a peer to tell, CLOSED, the owner sees
     * ECONNABORTED. False if no live connection holds the 4-tuple (TIME_WAIT records are left alone).
     */
    public boolean abort(IpAddress remoteAddress, int remotePort, int localPort) {
        Tcb tcb = demux.get(Demux.key(remoteAddress, remotePort, localPort), remoteAddress.hi(), remoteAddress.lo());
        if (tcb == null) {
            return false;
        }
        tcb.lock.lock();
        try {
            if (tcb.state == TcpState.CLOSED) {
                return false;
            }
            abort(tcb);
            return true;
        } finally {
            tcb.lock.unlock();
            Wakeups.runPostedHandlers(); // the owner's handler learns of it here
        }
    }

    /** Under the lock: RST where the state has a peer to tell, CLOSED, the owner sees ECONNABORTED. */
    void abort(Tcb tcb) {
        boolean needsReset = tcb.state.isSynchronized() || tcb.state == TcpState.SYN_RECEIVED;
        close(tcb, TcpError.ABORTED, needsReset);
    }
}
