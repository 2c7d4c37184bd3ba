package io.tcpstack.drill;

/**
 * What a script runs against: the stack on virtual time ({@link StackTarget}) or the kernel of
 * this machine behind a TUN device in a fresh network namespace ({@link KernelTarget}). Times
 * are microseconds since {@link #start()}.
 */
interface Target extends AutoCloseable {
    /** The system under test's address (packetdrill's local address) and the script peer's. */
    int LOCAL = 0xc6120001; // 198.18.0.1
    int REMOTE = 0xc6120002; // 198.18.0.2

    String name();

    /** Time zero of the script. */
    void start();

    long nowMicros();

    /** Lets time pass until {@code micros} (virtual: fires the timers due on the way). */
    void waitUntil(long micros);

    /** Hands an IPv4 packet from the peer to the system under test. */
    void inject(byte[] packet);

    /** A packet the system under test sent, and when. */
    record Outbound(long atMicros, byte[] packet) {
    }

    /** The next packet sent, waiting at most until {@code deadlineMicros}; null if none came. */
    Outbound nextOutbound(long deadlineMicros);

    /** The next packet sent, left in place for {@link #nextOutbound}; null if none came by the deadline. */
    Outbound peekOutbound(long deadlineMicros);

    /** Sets a sysctl (net.ipv4.tcp_*) or runs a command line; throws {@link UnsupportedFeature} for what it cannot. */
    void command(String commandLine, java.nio.file.Path scriptDir) throws UnsupportedFeature;

    /**
     * Starts a system call; it may finish at once or later ({@link Pending#result()}). {@code
     * mayBlock}: the script says it blocks ({@code start...end}), so the script goes on meanwhile.
     */
    Pending call(Syscalls.Call call, boolean mayBlock) throws UnsupportedFeature;

    /** Waits for a started call, at most until {@code deadlineMicros}; true if it finished. */
    boolean await(Pending pending, long deadlineMicros);

    /** A system call in progress. */
    interface Pending {
        /** The result once finished, else null. */
        Syscalls.Result result();
    }

    @Override
    void close();

    /** Something the script uses that this target cannot do: the script is reported unsupported. */
    final class UnsupportedFeature extends Exception {
        UnsupportedFeature(String reason) {
            super(reason);
        }
    }
}
