package io.tcpstack.tcp;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.SynOptions;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.time.TimerQueue;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * TCP for the stack's local addresses, one per family: it makes and holds the parts (segment
 * input in {@link TcpRcv}, the listeners in {@link Listeners}, active opens, the state changes
 * every part shares, ...) and shows the connections. Thread-safe: one reader thread per queue
 * calls {@link TcpRcv}; applications and the timer thread call the rest.
 */
public final class TcpLayer {
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
    private final Listeners listeners = new Listeners(this);
    private final TcpRcv rcv;
    private final int queueCount;

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
        this.queueCount = queueCount;
        this.rcv = new TcpRcv(this, queueCount);
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

    /** Where the IP layer hands TCP segments (and ICMPv6 errors about them). */
    public TcpRcv rcv() {
        return rcv;
    }

    public Listeners listeners() {
        return listeners;
    }

    ListenInput listenInput() {
        return listenInput;
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
        return queueCount;
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

    // ---- views

    /**
     * Every connection and TIME_WAIT/FIN_WAIT_2 record, like {@code ss -tan}; a listener once per
     * family the stack has an address of, as two bound sockets show.
     */
    public List<ConnectionInfo> connections() {
        List<ConnectionInfo> list = new ArrayList<>();
        listeners.addInfos(list);
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
