package io.tcpstack.api;

import io.tcpstack.dispatch.Dispatcher;
import io.tcpstack.ip.Icmp;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.ip.Ipv4Input;
import io.tcpstack.ip.Udp;
import io.tcpstack.link.Link;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.StackStats;
import io.tcpstack.tcp.ConnectionInfo;
import io.tcpstack.tcp.SynOptions;
import io.tcpstack.tcp.TcpConnection;
import io.tcpstack.tcp.TcpException;
import io.tcpstack.tcp.TcpHandler;
import io.tcpstack.tcp.TcpLayer;
import io.tcpstack.tcp.Wakeups;
import io.tcpstack.time.Clock;
import io.tcpstack.time.TimerDriven;
import io.tcpstack.time.TimerThread;
import io.tcpstack.time.TimerQueue;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The stack: one IPv4 address on one {@link Link}. Wires the layers (ip, icmp, tcp) and the
 * timers together and is what applications, the daemon and tests hold.
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
    private final TimerQueue wheel;
    private final TimerThread timerThread;
    private final Dispatcher dispatcher;
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
        this.wheel = new TimerQueue();
        this.timerThread = clock instanceof VirtualClock ? null : new TimerThread(wheel, clock);
        IpOutput ipOutput = new IpOutput(config, link, stats);
        Icmp icmp = new Icmp(ipOutput, stats, settings, clock);
        Ipv4Input ipInput = new Ipv4Input(config.address(), link.queueCount(), stats, icmp);
        ipInput.register(IpProtocol.UDP, new Udp(icmp, stats));
        RandomGenerator random = config.seed() == null ? new SecureRandom() : new SplittableRandom(config.seed());
        this.tcp = new TcpLayer(ipOutput, link.queueCount(), settings, stats, clock, wheel, tracer, random);
        ipInput.register(IpProtocol.TCP, tcp);
        Dispatcher.Mode mode = config.dispatchMode() != null ? config.dispatchMode()
                : clock instanceof VirtualClock ? Dispatcher.Mode.INLINE : Dispatcher.Mode.THREADED;
        this.dispatcher = new Dispatcher(Wakeups.deferringBursts(ipInput), mode, link.queueCount(), () -> settings.affinity, link.alloc(),
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
        dispatcher.start();
        link.steer(settings.affinity.steering());
        link.start(dispatcher);
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
        return wheel.advance(clock.nanos());
    }

    /**
     * Virtual time only: moves the clock to {@code nanos}, firing every timer on its own deadline
     * in order, and runs {@code afterEach} after each batch (a test collecting what was sent).
     */
    public void advanceTo(long nanos, Runnable afterEach) {
        VirtualClock virtual = (VirtualClock) clock;
        while (true) {
            long next = wheel.nextDeadlineNanos();
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
        return wheel.nextDeadlineNanos();
    }

    /**
     * Opens a connection and waits (real time) for the handshake.
     *
     * @param localPort 0 for an ephemeral port (RFC 6056)
     */
    public TcpSocket connect(String address, int port, int localPort, long timeoutMillis) throws IOException {
        return connect(address, port, localPort, timeoutMillis, SynOptions.DEFAULT);
    }

    /** As {@link #connect(String, int, int, long)}, with a SYN that offers {@code options}. */
    public TcpSocket connect(String address, int port, int localPort, long timeoutMillis, SynOptions options)
            throws IOException {
        TcpConnection c = open(Ipv4Address.parse(address), port, localPort, options);
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

    /** Starts an active open without waiting (non-blocking connect). */
    public TcpConnection open(int address, int port, int localPort) throws IOException {
        return open(address, port, localPort, SynOptions.DEFAULT);
    }

    /** As {@link #open(int, int, int)}, with a SYN that offers {@code options}. */
    public TcpConnection open(int address, int port, int localPort, SynOptions options) throws IOException {
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
            return new TcpServerSocket(tcp, tcp.listen(port, backlog, acceptor, options));
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Every connection, listener and TIME_WAIT record (like ss -tan). */
    public List<ConnectionInfo> connections() {
        return tcp.connections();
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

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    /** The TCP layer itself (connection table, test hooks). */
    public TcpLayer tcp() {
        return tcp;
    }

    /** Stops the link (its readers), the workers and the timer thread, and releases the link. */
    @Override
    public void close() {
        link.close();
        dispatcher.close();
        if (timerThread != null) {
            timerThread.close();
        }
    }
}
