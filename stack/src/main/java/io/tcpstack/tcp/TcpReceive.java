package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.TcpView;

/**
 * The receive path (RFC 9293 3.10.7.4 seventh and eighth; Linux tcp_data_queue,
 * tcp_data_queue_ofo, tcp_fin, tcp_event_data_recv, tcp_grow_window):
 * in-order data into the receive buffer, out-of-order data held up to the buffer's size and
 * reported by SACK, duplicates reported by D-SACK, the ACK policy (quick ACKs, delayed ACKs, at
 * once for out-of-order data), and the window's growth; the buffer's autotuning is {@link
 * RcvBufAutotuning}'s. Runs under the Tcb lock.
 */
final class TcpReceive {
    private final TcpLayer layer;
    private final StackStats stats;

    TcpReceive(TcpLayer layer) {
        this.layer = layer;
        this.stats = layer.stats();
    }

    /** Receives payload and FIN of {@code seg}, whose first payload byte is at {@code seq} (Linux tcp_data_queue). */
    void segment(Tcb tcb, Segment seg, int seq) {
        if (!tcb.state.receivesData() && tcb.state != TcpState.SYN_RECEIVED) {
            return; // CLOSE_WAIT, CLOSING, LAST_ACK: the peer already sent its FIN
        }
        int index = seg.payloadIndex;
        int length = seg.payloadLength;
        boolean fin = seg.has(TcpView.FIN);
        if (length > 0) {
            Ecn.onData(tcb, seg);
        }
        tcb.reassembly.clearDsack();
        RcvBufAutotuning.measureRcvRtt(tcb, seg, length);
        if (SeqNum.lt(seq, tcb.rcvNxt)) {
            int skip = tcb.rcvNxt - seq;
            if (skip > length || (skip == length && !fin)) {
                // a retransmission of what we have: D-SACK it and ACK at once (Linux: DELAYEDACKLOST)
                stats.inc(Counter.TcpExtDelayedACKLost);
                dsack(tcb, seq, seq + length);
                tcb.quickAcks = TcpSettings.MAX_QUICKACKS;
                layer.states().drop(tcb, seg, DropReason.TCP_OLD_DATA);
                layer.trace().cause(tcb, Rule.DUP_DATA_ACK);
                layer.output().sendAck(tcb);
                return;
            }
            dsack(tcb, seq, tcb.rcvNxt); // the part we had
            index += skip;
            length -= skip;
            seq = tcb.rcvNxt;
        }
        if (seq != tcb.rcvNxt) {
            outOfOrder(tcb, seg, seq, index, length, fin);
            return;
        }
        if (length > 0 && !receiveMemory(tcb, length)) {
            stats.inc(Counter.TcpExtTCPRcvQDrop); // the sender retransmits it
            layer.states().drop(tcb, seg, DropReason.TCP_PROTO_MEM);
            return;
        }
        boolean holes = tcb.reassembly.blockCount() > 0;
        int stored = tcb.receiveBuffer.write(seg.buf, index, length);
        if (stored < length) {
            stats.inc(stored == 0 ? Counter.TcpExtTCPZeroWindowDrop : Counter.TcpExtTCPRcvQDrop);
            layer.states().drop(tcb, seg, DropReason.TCP_ZEROWINDOW);
            fin = false;
        }
        if (holes && stored > 0 && layer.settings().dsack && tcb.sackOk
                && tcb.reassembly.overlapInOrder(tcb.rcvNxt, tcb.rcvNxt + stored)) {
            stats.inc(Counter.TcpExtTCPDSACKOfoSent);
        }
        int rcvNxtBefore = tcb.rcvNxt;
        tcb.rcvNxt += stored;
        if (holes) {
            tcb.rcvNxt = tcb.reassembly.drainInto(tcb.rcvNxt, tcb.receiveBuffer);
        }
        tcb.bytesReceived += tcb.rcvNxt - rcvNxtBefore; // Linux tcp_rcv_nxt_update: what filled holes too
        if (stored > 0) {
            dataReceived(tcb, stored);
        }
        boolean finArrived = (fin && stored == length) || tcb.reassembly.takeFin(tcb.rcvNxt);
        if (finArrived) {
            fin(tcb);
        } else if (holes || stored < length) {
            layer.output().sendAck(tcb); // RFC 5681 4.2: ACK at once when a gap is filled
        } else if (ackNow(tcb)) {
            if (!Wakeups.deferAck(tcb)) {
                layer.output().sendAck(tcb);
            }
        } else if (stored > 0) {
            TcpTimers.scheduleDelayedAck(tcb);
        }
    }

    /** Linux tcp_dsack_set for data below rcv.nxt, counted as TcpExtTCPDSACKOldSent. */
    private void dsack(Tcb tcb, int from, int to) {
        if (tcb.sackOk && layer.settings().dsack && SeqNum.lt(from, to)) {
            tcb.reassembly.setDsack(from, to);
            stats.inc(Counter.TcpExtTCPDSACKOldSent);
        }
    }

    /**
     * Linux tcp_send_dupack for a segment that failed the sequence or PAWS check: data below
     * rcv.nxt is reported by D-SACK, and quick ACKs resume.
     */
    void duplicateBeforeAck(Tcb tcb, Segment seg) {
        if (seg.length() > 0 && SeqNum.lt(seg.seq, tcb.rcvNxt)) {
            stats.inc(Counter.TcpExtDelayedACKLost);
            tcb.quickAcks = TcpSettings.MAX_QUICKACKS;
            dsack(tcb, seg.seq, SeqNum.min(seg.endSeq(), tcb.rcvNxt));
        }
    }

    /**
     * Linux tcp_data_queue_ofo: out-of-order data is kept where it belongs in the receive buffer
     * (within the window we offered and the buffer's room, pruning the highest ranges when the
     * queue's charge would not fit, tcp_prune_ofo_queue), SACKed, and ACKed at once.
     */
    private void outOfOrder(Tcb tcb, Segment seg, int seq, int index, int length, boolean fin) {
        Reassembly ofo = tcb.reassembly;
        int rightEdge = tcb.rcvNxt + Math.max(tcb.rcvWnd - (tcb.rcvNxt - tcb.rcvWup), 0);
        int fits = Math.max(0, Math.min(Math.min(length, rightEdge - seq), tcb.receiveBuffer.free() - (seq - tcb.rcvNxt)));
        if (fits > 0 && !makeRoom(tcb, seq, fits)) {
            fits = 0;
        }
        boolean noMemory = fits > 0 && !tryRmemSchedule(tcb, seq, fits + Reassembly.RANGE_OVERHEAD);
        if (noMemory) {
            fits = 0;
        }
        if (fits > 0) {
            if (ofo.add(seq, fits, tcb.rcvNxt, tcb.receiveBuffer, seg.buf, index, layer.settings().dsack && tcb.sackOk)) {
                stats.inc(Counter.TcpExtTCPDSACKOfoSent);
            }
            stats.inc(Counter.TcpExtTCPOFOQueue);
            if (fin && fits == length) {
                ofo.addFin(seq + length);
            }
            growWindow(tcb, fits);
        } else if (length > 0) {
            stats.inc(Counter.TcpExtTCPOFODrop);
            layer.states().drop(tcb, seg, noMemory ? DropReason.TCP_PROTO_MEM : DropReason.TCP_OFO_DROP);
        } else if (fin) {
            ofo.addFin(seq);
        }
        tcb.quickAcks = Math.max(tcb.quickAcks, 1);
        layer.trace().cause(tcb, Rule.OFO_ACK);
        layer.output().sendAck(tcb); // RFC 5681 4.2: out-of-order data is ACKed at once (dup ACK, SACK)
    }

    /**
     * Linux tcp_try_rmem_schedule with tcp_prune_queue / tcp_prune_ofo_queue: the unread data and
     * the out-of-order queue's charge must fit the buffer; if not, the highest ranges above the new
     * segment are dropped (TcpExtPruneCalled, TcpExtOfoPruned). False if it still does not fit.
     */
    private boolean makeRoom(Tcb tcb, int seq, int length) {
        Reassembly ofo = tcb.reassembly;
        int allowed = tcb.receiveBuffer.capacity() - tcb.receiveBuffer.size() - length - Reassembly.RANGE_OVERHEAD;
        if (ofo.charge() <= allowed) {
            return true;
        }
        stats.inc(Counter.TcpExtPruneCalled);
        if (ofo.blockCount() == 0 || !SeqNum.gt(ofo.highestEnd(), seq)) {
            stats.inc(Counter.TcpExtRcvPruned);
            return false; // nothing above the new segment to give way
        }
        int dropped = ofo.pruneAbove(Math.max(allowed, 0));
        stats.add(Counter.TcpExtOfoPruned, dropped);
        pruned(tcb);
        return ofo.charge() <= allowed;
    }

    /**
     * Linux tcp_data_queue's memory check for in-order data: an empty receive queue always takes
     * it (sk_forced_mem_schedule, so a connection always moves), else tcp_try_rmem_schedule.
     */
    private boolean receiveMemory(Tcb tcb, int length) {
        int fits = Math.min(length, tcb.receiveBuffer.free());
        if (tcb.receiveBuffer.size() == 0) {
            layer.memory().forceSchedule(tcb, fits);
            return true;
        }
        return fits == 0 || tryRmemSchedule(tcb, tcb.rcvNxt, fits);
    }

    /**
     * Linux tcp_try_rmem_schedule against the stack's budget (sk_rmem_schedule): when it refuses,
     * tcp_prune_queue (TcpExtPruneCalled) stops the window's growth under pressure
     * (tcp_adjust_rcv_ssthresh), then out-of-order ranges at or above {@code seq} go, the highest
     * first, until the budget gives the room (tcp_prune_ofo_queue, TcpExtOfoPruned). False if it
     * does not (TcpExtRcvPruned).
     */
    private boolean tryRmemSchedule(Tcb tcb, int seq, int size) {
        TcpMemory memory = layer.memory();
        if (memory.schedule(tcb, size, false)) {
            return true;
        }
        stats.inc(Counter.TcpExtPruneCalled);
        if (memory.underPressure()) {
            adjustRcvSsthresh(tcb);
        }
        while (!memory.schedule(tcb, size, false)) {
            if (!tcb.reassembly.pruneHighest(seq)) {
                stats.inc(Counter.TcpExtRcvPruned);
                return false;
            }
            stats.inc(Counter.TcpExtOfoPruned);
            pruned(tcb);
        }
        return true;
    }

    /** After pruning: the ring forgets the dropped data past the highest range left, the budget gets its pages. */
    private void pruned(Tcb tcb) {
        tcb.receiveBuffer.forgetAhead(tcb.reassembly.extent(tcb.rcvNxt));
        layer.memory().reclaim(tcb);
    }

    /** Linux tcp_adjust_rcv_ssthresh, under memory pressure: the window offered shrinks to 4 MSS. */
    static void adjustRcvSsthresh(Tcb tcb) {
        tcb.rcvSsthresh = Math.min(tcb.rcvSsthresh, 4 * tcb.rcvMss);
    }

    /** Linux tcp_event_data_recv: adapt the ATO to the inter-arrival time, stamp activity, grow the window. */
    private void dataReceived(Tcb tcb, int bytes) {
        long now = layer.nowMs();
        TcpSettings s = layer.settings();
        if (tcb.atoMs == 0) {
            tcb.atoMs = s.delackMinMs;
        } else {
            long m = now - tcb.lastDataRecvMs;
            long rto = tcb.rtt.rtoMicros() / 1000;
            if (m <= s.delackMinMs / 2) {
                tcb.atoMs = tcb.atoMs / 2 + s.delackMinMs / 2;
            } else if (m < tcb.atoMs) {
                tcb.atoMs = Math.min(tcb.atoMs / 2 + m, rto);
            } else if (m > rto) {
                tcb.quickAcks = Math.max(tcb.quickAcks, 2);
            }
        }
        tcb.lastDataRecvMs = now;
        tcb.lastActivityMs = now;
        tcb.segmentsSinceAck += Math.max(1, bytes / Math.max(tcb.rcvMss, 1));
        growWindow(tcb, bytes);
        Wakeups.wake(tcb);
    }

    /**
     * Linux tcp_grow_window: each segment of 128 bytes or more lets rcv_ssthresh (the most
     * window we offer) grow by the larger of 2 MSS and twice the segment, up to the room the
     * buffer has; not while the stack is under memory pressure (tcp_under_memory_pressure).
     */
    private void growWindow(Tcb tcb, int bytes) {
        if (bytes < 128 || layer.memory().underPressure()) {
            return;
        }
        int room = Math.min(tcb.receiveBuffer.capacity(), freeSpace(tcb)) - tcb.rcvSsthresh;
        if (room > 0) {
            tcb.rcvSsthresh += Math.min(room, Math.max(2 * tcb.rcvMss, 2 * bytes));
        }
    }

    /** Linux tcp_space: the window the buffer's free room is worth. */
    static int freeSpace(Tcb tcb) {
        return tcb.receiveBuffer.capacity() - tcb.receiveBuffer.size() - tcb.reassembly.bytes();
    }

    /**
     * Linux __tcp_ack_snd_check: ACK now in quick-ACK mode (connection start) or when more than one
     * full segment arrived since the last ACK; otherwise delay.
     */
    private static boolean ackNow(Tcb tcb) {
        return tcb.quickAcks > 0 || tcb.rcvNxt - tcb.rcvWup > tcb.rcvMss;
    }

    /** RFC 9293 3.10.7.4 eighth (Linux tcp_fin). */
    private void fin(Tcb tcb) {
        layer.trace().cause(tcb, Rule.FIN_ACK);
        tcb.rcvNxt++;
        tcb.finReceived = true;
        // Linux tcp_fin: out-of-order data after the FIN is dropped, and the SACK state with it
        // (tcp_sack_reset): a D-SACK pending for the segment that brought the FIN is not sent
        tcb.reassembly.clear();
        tcb.receiveBuffer.forgetAhead(0);
        layer.memory().reclaim(tcb);
        tcb.lastActivityMs = layer.nowMs();
        Wakeups.notify(tcb);
        switch (tcb.state) {
            case SYN_RECEIVED, ESTABLISHED -> {
                layer.states().setState(tcb, TcpState.CLOSE_WAIT);
                // Linux tcp_fin enters pingpong mode: the ACK is delayed by the ATO (it may ride on
                // our own FIN), at once only if no data ever came (ato 0: the timer fires at once)
                if (tcb.atoMs == 0) {
                    layer.output().sendAck(tcb);
                } else {
                    TcpTimers.scheduleDelayedAck(tcb);
                }
            }
            case FIN_WAIT_1 -> {
                if (tcb.finAcked) {
                    layer.output().sendAck(tcb);
                    layer.timeWait().enter(tcb, TcpState.TIME_WAIT);
                } else {
                    layer.states().setState(tcb, TcpState.CLOSING);
                    layer.output().sendAck(tcb);
                }
            }
            case FIN_WAIT_2 -> {
                layer.output().sendAck(tcb);
                layer.timeWait().enter(tcb, TcpState.TIME_WAIT);
            }
            default -> layer.output().sendAck(tcb);
        }
    }
}
