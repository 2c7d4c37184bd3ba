package io.tcpstack.link;

import io.tcpstack.wire.TcpView;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the fault injector remembers of each flow it has seen, per direction: the ISN (from the
 * SYN, for sequence ranges relative to it) and the highest sequence number sent so far, which
 * tells a retransmission from fresh data at the link itself: a segment that occupies sequence
 * space and ends at or below that mark is a retransmission ({@code fresh-only}). A pure ACK or an
 * RST occupies none, so it is never one.
 *
 * <p>Kept only while rules exist (a link without rules pays nothing); a flow whose SYN went by
 * before that has no ISN, and its first segment sets the mark. Bounded: past {@link #MAX_FLOWS}
 * flows it starts over. Thread-safe.
 */
final class FlowTable {
    static final int MAX_FLOWS = 1 << 16;

    private final ConcurrentHashMap<Long, Flow> flows = new ConcurrentHashMap<>();

    /** One flow, both directions (0 out, 1 in); guarded by its monitor. */
    private static final class Flow {
        final boolean[] hasIsn = new boolean[2];
        final int[] isn = new int[2];
        final boolean[] hasHigh = new boolean[2];
        final int[] high = new int[2];
    }

    /** Notes {@code p} and fills in its relative sequence number and whether it is a retransmission. */
    void observe(FaultPacket p) {
        long key = ((p.remoteAddress & 0xffffffffL) << 32) | ((long) p.remotePort << 16) | p.localPort;
        if (flows.size() >= MAX_FLOWS && !flows.containsKey(key)) {
            flows.clear();
        }
        Flow flow = flows.computeIfAbsent(key, k -> new Flow());
        int d = p.out ? 0 : 1;
        int length = p.sequenceLength();
        int end = p.seq + length;
        synchronized (flow) {
            if (p.has(TcpView.SYN) && !(flow.hasIsn[d] && flow.isn[d] == p.seq)) {
                // a new connection on this 4-tuple starts its sequence space over
                flow.hasIsn[d] = true;
                flow.isn[d] = p.seq;
                flow.hasHigh[d] = false;
            }
            if (flow.hasIsn[d]) {
                p.relativeSeq = Integer.toUnsignedLong(p.seq - flow.isn[d]);
            }
            if (length > 0) {
                p.retransmission = flow.hasHigh[d] && end - flow.high[d] <= 0;
                if (!flow.hasHigh[d] || end - flow.high[d] > 0) {
                    flow.hasHigh[d] = true;
                    flow.high[d] = end;
                }
            }
        }
    }

    void clear() {
        flows.clear();
    }

    int size() {
        return flows.size();
    }
}
