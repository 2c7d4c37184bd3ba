package io.tcpstack.api;

import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.SynOptions;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.inbound.LookupObserver;
import io.tcpstack.ip.Icmp;
import io.tcpstack.ip.IcmpRateLimit;
import io.tcpstack.ip.IpInput;
import io.tcpstack.ip.IpHost;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.ip.Ipv4Input;
import io.tcpstack.ip.Ipv6Input;
import io.tcpstack.ip.Udp;
import io.tcpstack.link.Link;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.StackStats;
import io.tcpstack.tcp.TcpLayer;
import io.tcpstack.tcp.Wakeups;
import io.tcpstack.time.Clock;
import io.tcpstack.time.TimerDriven;
import io.tcpstack.time.TimerQueue;
import io.tcpstack.time.TimerThread;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The stack: an IPv4 address, an IPv6 address or both on one {@link Link}. Wires the layers (ip,
 * icmp, icmpv6, tcp) and the timers together and is what applications, the daemon and tests hold.
 *
 * <p>With a real clock, {@link #start()} also starts the timer thread. With a {@link
 * VirtualClock} nothing runs by itself: the owner (a simulated network or a test harness) calls
 * {@link #runTimers()} as it moves time.
 */
public final class TcpStack implements TimerDriven, AutoCloseable {
    private final StackConfig config;
    private final Link link;
    private final Clock clock;
    private final StackStats stats;
    private final TcpSettings settings;
    private final Tracer tracer;
    private final TimerQueue timers;
    private final TimerThread timerThread;
    private final InboundQueues inbound;
    private final TcpLayer tcp;
    private volatile boolean started;

    public TcpStack(StackConfig config, Link link) {
        this(config, link, Clock.system(), new TcpSettings());
    }

    public TcpStack(StackConfig config, Link link, Clock clock, TcpSettings settings) {
        this(config, link, clock, settings, new Tracer());
    }

    /** With a tracer made beforehand, so that link decorators can emit into the same trace. */
    public TcpStack(StackConfig config, Link link, Clock clock, TcpSettings settings, Tracer tracer) {
        this(config, link, clock, settings, tracer, new StackStats());
    }

    /** With a tracer and counters made beforehand, which link decorators (fault rules) share. */
    public TcpStack(StackConfig config, Link link, Clock clock, TcpSettings settings, Tracer tracer,
            StackStats stats) {
        this.tracer = Objects.requireNonNull(tracer);
        this.stats = Objects.requireNonNull(stats);
        this.config = Objects.requireNonNull(config);
        this.link = Objects.requireNonNull(link);
        this.clock = Objects.requireNonNull(clock);
        this.settings = Objects.requireNonNull(settings);
        this.timers = new TimerQueue();
        this.timerThread = clock instanceof VirtualClock ? null : new TimerThread(timers, clock);
        RandomGenerator random = config.seed() == null ? new SecureRandom() : new SplittableRandom(config.seed());
        IpHost host = new IpHost(config.address4(), config.address6(), config.defaultTtl());
        IpOutput ipOutput = new IpOutput(host, link, stats, clock, random);
        IcmpRateLimit icmpLimits = new IcmpRateLimit(settings, clock);
        Icmp icmp = new Icmp(ipOutput, stats, icmpLimits);
        Ipv4Input ipv4 = new Ipv4Input(config.address(), link.queueCount(), stats, icmp);
        ipv4.register(IpProtocol.UDP, new Udp(icmp, stats));
        Ipv6Input ipv6 = config.address6() == null ? null
                : new Ipv6Input(config.address6(), link.queueCount(), ipOutput, stats, settings, icmpLimits, clock, timers);
        this.tcp = new TcpLayer(ipOutput, link.queueCount(), settings, stats, clock, timers, tracer, random);
        ipv4.register(IpProtocol.TCP, tcp.rcv());
        if (ipv6 != null) {
            ipv6.register(IpProtocol.TCP, tcp.rcv());
        }
        IpInput ipInput = new IpInput(ipv4, ipv6, stats);
        InboundQueues.Mode mode = config.inboundMode() != null ? config.inboundMode()
                : clock instanceof VirtualClock ? InboundQueues.Mode.INLINE : InboundQueues.Mode.THREADED;
        this.inbound = new InboundQueues(Wakeups.deferringBursts(ipInput), mode, link.queueCount(), () -> settings.affinity, link.alloc(),
                stats);
    }

    /** Starts receiving from the link (and the timer thread on a real clock). */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        if (timerThread != null) {
            timerThread.start();
        }
        inbound.start();
        link.steer(settings.affinity.steering());
        link.start(inbound);
    }

    /**
     * Steers the link's inbound packets as the {@code affinity} knob now says; whoever changes the
     * knob on a running stack calls it ({@code ctl set}, a config reload). Returns how the link
     * steers now.
     */
    public String steer() {
        link.steer(settings.affinity.steering());
        return link.steering();
    }

    /** Runs the timers that are due at the clock's current time (virtual time). */
    @Override
    public int runTimers() {
        return timers.advance(clock.nanos());
    }

    /**
     * Virtual time only: moves the clock to {@code nanos}, firing every timer on its own deadline
     * in order, and runs {@code afterEach} after each batch (a test collecting what was sent).
     */
    public void advanceTo(long nanos, Runnable afterEach) {
        VirtualClock virtual = (VirtualClock) clock;
        while (true) {
            long next = timers.nextDeadlineNanos();
            if (next > nanos) {
                break;
            }
            virtual.setNanos(Math.max(next, virtual.nanos()));
            runTimers();
            afterEach.run();
        }
        if (nanos > virtual.nanos()) {
            virtual.setNanos(nanos);
        }
        runTimers();
        afterEach.run();
    }

    /** Earliest pending timer deadline in clock nanos, or Long.MAX_VALUE. */
    @Override
    public long nextTimerNanos() {
        return timers.nextDeadlineNanos();
    }

    /**
     * Opens a connection and waits (real time) for the handshake.
     *
     * @param localPort 0 for an ephemeral port (RFC 6056)
     */
    public TcpSocket connect(String address, int port, int localPort, long timeoutMillis) throws IOException {
        return connect(IpAddress.parse(address), port, localPort, timeoutMillis, SynOptions.DEFAULT);
    }

    /** As {@link #connect(String, int, int, long)}, with a SYN that offers {@code options}. */
    public TcpSocket connect(String address, int port, int localPort, long timeoutMillis, SynOptions options)
            throws IOException {
        return connect(IpAddress.parse(address), port, localPort, timeoutMillis, options);
    }

    /** As {@link #connect(String, int, int, long)} to an address of either family. */
    public TcpSocket connect(IpAddress address, int port, int localPort, long timeoutMillis) throws IOException {
        return connect(address, port, localPort, timeoutMillis, SynOptions.DEFAULT);
    }

    /** As {@link #connect(String, int, int, long, SynOptions)} to an address of either family. */
    public TcpSocket connect(IpAddress address, int port, int localPort, long timeoutMillis, SynOptions options)
            throws IOException {
        Connection c = open(address, port, localPort, options);
        try {
            if (!c.awaitEstablished(timeoutMillis)) {
                c.abort();
                throw new SocketTimeoutException("connect timed out after " + timeoutMillis + " ms");
            }
        } catch (InterruptedException e) {
            c.abort();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("connect interrupted");
        } catch (TcpException e) {
            throw e;
        }
        return new TcpSocket(c);
    }

    public TcpSocket connect(String address, int port) throws IOException {
        return connect(address, port, 0, 0);
    }

    /** As {@link #open(IpAddress, int, int)} to the IPv4 address {@code address} (big-endian). */
    public Connection open(int address, int port, int localPort) throws IOException {
        return open(IpAddress.v4(address), port, localPort, SynOptions.DEFAULT);
    }

    /** Starts an active open without waiting (non-blocking connect), to an address of either family. */
    public Connection open(IpAddress address, int port, int localPort) throws IOException {
        return open(address, port, localPort, SynOptions.DEFAULT);
    }

    /** As {@link #open(IpAddress, int, int)}, with a SYN that offers {@code options}. */
    public Connection open(IpAddress address, int port, int localPort, SynOptions options) throws IOException {
        try {
            return tcp.connect(address, port, localPort, options);
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public TcpServerSocket listen(int port, int backlog) throws IOException {
        return listen(port, backlog, null);
    }

    /**
     * Listens event-driven: every connection that completes its handshake goes to {@code
     * acceptor} on the stack thread that completed it, and is served by the {@link TcpHandler} it
     * returns (no accept queue, no thread per connection). The returned socket only closes.
     */
    public TcpServerSocket listen(int port, int backlog, TcpHandler.Acceptor acceptor) throws IOException {
        return listen(port, backlog, acceptor, SynOptions.DEFAULT);
    }

    /** As {@link #listen(int, int, TcpHandler.Acceptor)}, with SYN-ACKs that offer {@code options}. */
    public TcpServerSocket listen(int port, int backlog, TcpHandler.Acceptor acceptor, SynOptions options)
            throws IOException {
        try {
            return new TcpServerSocket(tcp.listeners(), tcp.listeners().listen(port, backlog, acceptor, options));
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Every connection, listener and TIME_WAIT record (like ss -tan). */
    public List<ConnectionInfo> connections() {
        return tcp.connections();
    }

    /** Connections with a full control block (every state but LISTEN and the records). */
    public int connectionCount() {
        return tcp.connectionCount();
    }

    /** Connections closed by their application and still finishing (Linux: orphans). */
    public int orphanCount() {
        return tcp.orphanCount();
    }

    /** Number of TIME_WAIT and FIN_WAIT_2 records. */
    public int timeWaitCount() {
        return tcp.timeWaitCount();
    }

    /** Pages of the memory budget the connections hold (tcp_memory_allocated; sockstat's "mem"). */
    public long memoryPages() {
        return tcp.memoryPages();
    }

    /** Whether the stack is under memory pressure (tcp_memory_pressure). */
    public boolean memoryPressure() {
        return tcp.memoryPressure();
    }

    /**
     * ABORT of the connection on this 4-tuple from outside its owner (Linux tcp_abort, which ss -K
     * reaches through sock_diag): RST where the state has a peer to tell, CLOSED, the owner sees
     * ECONNABORTED. False if no live connection holds the 4-tuple (TIME_WAIT records are left alone).
     */
    public boolean abort(IpAddress remoteAddress, int remotePort, int localPort) {
        return tcp.abort(remoteAddress, remotePort, localPort);
    }

    /** Runs {@code observer} between each segment's lookup and its lock (deterministic races; null: none). */
    public void setLookupObserver(LookupObserver observer) {
        tcp.rcv().setLookupObserver(observer);
    }

    public StackConfig config() {
        return config;
    }

    public TcpSettings settings() {
        return settings;
    }

    public StackStats stats() {
        return stats;
    }

    public Tracer tracer() {
        return tracer;
    }

    public Clock clock() {
        return clock;
    }

    public Link link() {
        return link;
    }

    public InboundQueues inbound() {
        return inbound;
    }

    /** The TCP layer itself (connection table, test hooks). */
    public TcpLayer tcp() {
        return tcp;
    }

    /** Stops the link (its readers), the workers and the timer thread, and releases the link. */
    @Override
    public void close() {
        link.close();
        inbound.close();
        if (timerThread != null) {
            timerThread.close();
        }
    }
}
