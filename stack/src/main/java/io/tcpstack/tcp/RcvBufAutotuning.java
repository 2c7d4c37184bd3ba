package io.tcpstack.tcp;

import io.tcpstack.profile.TcpSettings;

/**
 * Receive-buffer autotuning (Linux tcp_init_buffer_space, tcp_rcv_rtt_measure*,
 * tcp_rcv_space_adjust, tcp_rcvbuf_grow in net/ipv4/tcp_input.c): the receiver's RTT estimate,
 * and once per receiver RTT a buffer grown to what the application read, so the sender may double
 * its rate; with the conversions between a buffer and the window it offers (tcp_win_from_space,
 * tcp_space_from_win). Runs under the Tcb lock.
 */
final class RcvBufAutotuning {
    /** Linux TCP_RMEM_TO_WIN_SCALE with the default scaling_ratio: half the buffer is window. */
    private static final int WINDOW_SHARE_SHIFT = 1;

    private RcvBufAutotuning() {
    }

    /** Linux tcp_win_from_space with the default scaling ratio: the window a buffer of {@code space} bytes offers. */
    static int windowFromSpace(int space) {
        return space >> WINDOW_SHARE_SHIFT;
    }

    /** Linux tcp_space_from_win: the buffer a window of {@code window} bytes needs. */
    private static long spaceFromWindow(long window) {
        return window << WINDOW_SHARE_SHIFT;
    }

    /**
     * The connection is established: the buffer starts at tcp_rmem's default, its window share is
     * the clamp, and autotuning starts measuring (Linux tcp_init_buffer_space).
     */
    static void initBufferSpace(Tcb tcb, long nowNanos) {
        tcb.rcvqSpaceSeq = tcb.rcvNxt;
        tcb.rcvqSpaceNanos = nowNanos;
        tcb.rcvSsthresh = Math.min(tcb.rcvSsthresh, tcb.receiveBuffer.capacity());
        tcb.rcvqSpace = Math.min(Math.min(tcb.rcvSsthresh, tcb.rcvWnd), TcpSettings.INIT_CWND * tcb.rcvMss);
    }

    /**
     * Linux tcp_rcv_rtt_measure_ts and tcp_rcv_rtt_measure: the receiver's RTT estimate, from the
     * echo of our timestamps on full segments, else one sample per window of data.
     */
    static void measureRcvRtt(Tcb tcb, Segment seg, int length) {
        long now = tcb.layer.clock().nanos();
        if (tcb.tsOk && seg.options.hasTimestamp && seg.options.tsEcr != 0) {
            int tsecr = seg.options.tsEcr;
            if (tsecr == tcb.rcvRttLastTsecr) {
                return;
            }
            tcb.rcvRttLastTsecr = tsecr;
            if (length >= tcb.rcvMss) {
                long delta = tcb.tsTicksToMicros(tcb.tsValAt(now) - tsecr);
                if (delta > 0) {
                    updateRcvRtt(tcb, delta, false);
                }
            }
            return;
        }
        if (tcb.rcvRttNanos != 0 && SeqNum.lt(tcb.rcvNxt, tcb.rcvRttSeq)) {
            return;
        }
        if (tcb.rcvRttNanos != 0) {
            updateRcvRtt(tcb, Math.max(1, (now - tcb.rcvRttNanos) / 1000), true);
        }
        tcb.rcvRttSeq = tcb.rcvNxt + tcb.rcvWnd;
        tcb.rcvRttNanos = now;
    }

    /** Linux tcp_rcv_rtt_update: an EWMA (1/8), or per window the minimum. Stored x8 as Linux does. */
    private static void updateRcvRtt(Tcb tcb, long sampleMicros, boolean windowBased) {
        long estimate = tcb.rcvRttMicros8;
        if (estimate == 0) {
            tcb.rcvRttMicros8 = sampleMicros << 3;
        } else if (!windowBased) {
            tcb.rcvRttMicros8 = estimate + sampleMicros - (estimate >> 3);
        } else if ((sampleMicros << 3) < estimate) {
            tcb.rcvRttMicros8 = sampleMicros << 3;
        }
    }

    /**
     * Linux tcp_rcv_space_adjust, after the application read: once per receiver RTT, if it read
     * more than in the last one, the buffer grows to let the sender double its rate (twice what
     * was read, plus what waits out of order), at most tcp_rmem's maximum (tcp_rcvbuf_grow).
     */
    static void rcvSpaceAdjust(Tcb tcb) {
        long now = tcb.layer.clock().nanos();
        long elapsedMicros = (now - tcb.rcvqSpaceNanos) / 1000;
        if (tcb.rcvRttMicros8 == 0 || elapsedMicros < (tcb.rcvRttMicros8 >> 3)) {
            return;
        }
        int copiedSeq = tcb.rcvNxt - tcb.receiveBuffer.size();
        int copied = copiedSeq - tcb.rcvqSpaceSeq;
        if (copied > tcb.rcvqSpace) {
            tcb.rcvqSpace = copied;
            growReceiveBuffer(tcb);
        }
        tcb.rcvqSpaceSeq = copiedSeq;
        tcb.rcvqSpaceNanos = now;
    }

    private static void growReceiveBuffer(Tcb tcb) {
        if (!tcb.moderateRcvbuf) {
            return;
        }
        long window = (long) tcb.rcvqSpace << 1;
        if (tcb.reassembly.blockCount() > 0) {
            window += tcb.reassembly.highestEnd() - tcb.rcvNxt;
        }
        long buffer = Math.min(spaceFromWindow(window), tcb.layer.settings().rmem.max());
        if (buffer > tcb.rcvbuf) {
            tcb.rcvbuf = (int) buffer;
            tcb.receiveBuffer.setCapacity(windowFromSpace(tcb.rcvbuf));
        }
    }
}
