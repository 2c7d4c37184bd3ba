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
    private final BareSegments bareSegments;
    private final TcpInput input;
    private final LossRecovery recovery;
    private final TcpAck ack;
    private final TcpReceive receive;
    private final ListenInput listenInput;
    private final ResourceLimits limits;
    private final TcpMemory memory;
    private final TimeWait timeWait;
    private final TcpTrace trace;
    private final Handshake handshake;
    private final ActiveOpen activeOpen;
    private final StateChanges states;
    private final Demux demux = new Demux();
    private final ConcurrentHashMap<Integer, Listener> listeners = new ConcurrentHashMap<>();
    private final Segment[] segments;
    private volatile LookupObserver lookupObserver;

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
        this.bareSegments = new BareSegments(this);
        this.recovery = new LossRecovery(this);
        this.ack = new TcpAck(this, recovery);
        this.receive = new TcpReceive(this);
        this.input = new TcpInput(this);
        this.timeWait = new TimeWait(this);
        this.handshake = new Handshake(this, new IsnGenerator(clock, random), random);
        this.activeOpen = new ActiveOpen(this, new EphemeralPorts(random));
        this.states = new StateChanges(this);
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

    Handshake handshake() {
        return handshake;
    }

    StateChanges states() {
        return states;
    }

    IpOutput ip() {
        return ip;
    }

    /** A listener holds {@code port}: no active open may take it as its local port. */
    boolean listening(int port) {
        return listeners.containsKey(port);
    }

    TcpOutput output() {
        return output;
    }

    BareSegments bareSegments() {
        return bareSegments;
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
                    states.drop(seg, DropReason.TCP_CLOSE);
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
            states.drop(seg, DropReason.TCP_NO_SOCKET);
            bareSegments.sendResetFor(seg);
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
        return activeOpen.connect(remoteAddress, remotePort, localPort, options);
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
                    states.close(tcb, TcpError.ABORTED, true);
                }
            } finally {
                tcb.lock.unlock();
            }
        }
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
            states.abort(tcb);
            return true;
        } finally {
            tcb.lock.unlock();
            Wakeups.runPostedHandlers(); // the owner's handler learns of it here
        }
    }

}
