package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.trace.Rule;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stack-wide limits a connection's life meets (Linux tcp_close, tcp_out_of_resources,
 * tcp_send_challenge_ack): orphans (tcp_max_orphans, tcp_orphan_retries), the number of
 * connections (max-connections, ours: a process's fd limit plays its part on Linux), and the
 * stack-wide challenge ACK budget (tcp_challenge_ack_limit).
 */
final class ResourceLimits {
    /** Linux TCP_TIMEWAIT_LEN, the constant (tcp_out_of_resources measures with it). */
    private static final long TIMEWAIT_LEN_MS = 60_000;

    private final TcpLayer layer;
    private final TcpSettings settings;
    /** Connections the application closed that are still finishing (Linux tcp_orphan_count). */
    private final AtomicInteger orphans = new AtomicInteger();
    /** The second of the challenge ACK budget, and what is left of it. */
    private long challengeAckSecond = -1;
    private long challengeAcksLeft;

    ResourceLimits(TcpLayer layer) {
        this.layer = layer;
        this.settings = layer.settings();
    }

    // ---- orphans

    /** Under the lock: the application let go of the connection (Linux sock_orphan, tcp_orphan_count). */
    void orphan(Tcb tcb) {
        if (!tcb.orphan) {
            tcb.orphan = true;
            if (tcb.state != TcpState.CLOSED) {
                orphans.incrementAndGet(); // until TcpLayer.release
            }
        }
    }

    /** An orphan's Tcb was released. */
    void orphanGone() {
        orphans.decrementAndGet();
    }

    int orphanCount() {
        return orphans.get();
    }

    /**
     * Under the lock, after close() queued the FIN (Linux tcp_close, tcp_check_oom): past
     * tcp_max_orphans the connection is reset and closed instead of finishing (TCPAbortOnMemory).
     */
    void checkOrphans(Tcb tcb) {
        if (tcb.state != TcpState.CLOSED && tooManyOrphans(0)) {
            abortOnMemory(tcb, true);
        }
    }

    private boolean tooManyOrphans(int shift) {
        return ((long) orphans.get() << shift) > settings.maxOrphans;
    }

    private void abortOnMemory(Tcb tcb, boolean reset) {
        layer.stats().inc(Counter.TcpExtTCPAbortOnMemory);
        layer.trace().note(tcb, Rule.OUT_OF_RESOURCES, "too many orphaned connections (max-orphans " + settings.maxOrphans + "): "
                + (reset ? "reset" : "dropped"));
        layer.states().close(tcb, TcpError.ABORTED, reset);
    }

    /** Linux tcp_orphan_retries: the retransmissions an orphan gets; 0 means 8 while its RTO is below the cap. */
    int orphanRetries(boolean alive) {
        int retries = settings.orphanRetries;
        return retries == 0 && alive ? 8 : retries;
    }

    /**
     * Linux tcp_out_of_resources, at a retransmission or probe timeout of an orphan: past
     * tcp_max_orphans (half of it for one idle over 2 x TCP_RTO_MAX, or that would not be reset)
     * the connection is dropped, with an RST when it sent within the last TCP_TIMEWAIT_LEN or the
     * peer's window is closed. True if it was.
     */
    boolean orphanOutOfResources(Tcb tcb, boolean doReset) {
        long idle = layer.nowMs() - tcb.lastActivityMs; // Linux: since the last segment sent (lsndtime)
        if (!tooManyOrphans(idle > 2 * settings.rtoMaxMs || !doReset ? 1 : 0)) {
            return false;
        }
        abortOnMemory(tcb, doReset || idle <= TIMEWAIT_LEN_MS || (tcb.sndWnd == 0 && tcb.flightSize() == 0));
        return true;
    }

    // ---- connections

    /**
     * max-connections control blocks exist already (a SYN is dropped, a connect refused); counts
     * TcpExtTCPMaxConnectionsDrop when so.
     */
    boolean atConnectionLimit() {
        if (layer.connectionCount() < settings.maxConnections) {
            return false;
        }
        layer.stats().inc(Counter.TcpExtTCPMaxConnectionsDrop);
        return true;
    }

    // ---- challenge ACKs

    /**
     * RFC 5961 7, the stack-wide part of Linux tcp_send_challenge_ack (per netns since 6.0): a
     * budget of tcp_challenge_ack_limit per second, drawn each second at random from [limit/2,
     * 1.5 limit) so that it cannot be probed; INT_MAX (the default) means no limit.
     */
    synchronized boolean challengeAckAllowed() {
        int limit = settings.challengeAckLimit;
        if (limit == Integer.MAX_VALUE) {
            return true;
        }
        long second = layer.nowMs() / 1000;
        if (second != challengeAckSecond) {
            long half = (limit + 1L) >> 1;
            challengeAckSecond = second;
            challengeAcksLeft = limit == 0 ? 0 : ThreadLocalRandom.current().nextLong(half, limit + half);
        }
        if (challengeAcksLeft <= 0) {
            return false;
        }
        challengeAcksLeft--;
        return true;
    }
}
