package io.tcpstack.tcp;

import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.wire.TcpView;

/**
 * Explicit Congestion Notification, RFC 3168, as Linux 6.x does it (include/net/tcp_ecn.h,
 * tcp_input.c, tcp_output.c). The knob {@code ecn} is Linux's tcp_ecn: 0 off, 1 ask for ECN in
 * our SYNs and accept it, 2 (the default) accept it when a peer asks, never ask.
 *
 * <ul>
 *   <li>Negotiation: an ECN-setup SYN has ECE and CWR and is not ECT itself
 *       (tcp_ecn_create_request); our SYN-ACK answers with ECE alone (tcp_ecn_make_synack). As a
 *       client with ecn=1 our SYN has ECE|CWR (tcp_ecn_send_syn), not on a retransmission
 *       (tcp_ecn_clear_syn, RFC 3168 6.1.1.1), and ECN is on only if the SYN-ACK has ECE without
 *       CWR (tcp_ecn_rcv_synack).
 *   <li>Sending: new data is ECT(0), with CWR once after we reduced; pure ACKs and
 *       retransmissions are not ECT (tcp_ecn_send). Every segment has ECE while the peer owes us
 *       a CWR.
 *   <li>Receiving: CE on data demands CWR (ECE on what we send, and ACK at once); CWR on a data
 *       segment ends the demand (__tcp_ecn_check_ce, tcp_ecn_accept_cwr).
 *   <li>On ECE ({@link #isEcnEcho}, TcpAck's FLAG_ECE), {@link LossRecovery} enters the CWR state
 *       as tcp_enter_cwr does (once per window, cwnd reduced by PRR to the congestion control's
 *       ssthresh) and {@link #queueCwr} puts CWR on the next new data segment.
 * </ul>
 */
final class Ecn {
    private Ecn() {
    }

    /** ECN is on for the connection (Linux TCP_ECN_OK). */
    static final int OK = 1;
    /** We reduced and the next new data segment carries CWR (TCP_ECN_QUEUE_CWR). */
    static final int QUEUE_CWR = 2;
    /** CE arrived: ECE on every segment until the peer's CWR (TCP_ECN_DEMAND_CWR). */
    static final int DEMAND_CWR = 4;
    /** ECT or CE seen on arriving data (TCP_ECN_SEEN). */
    static final int SEEN = 8;

    private static final int NOT_ECT = 0;
    private static final int ECT0 = 2;
    private static final int CE = 3;
    private static final int SETUP = TcpView.ECE | TcpView.CWR;

    /** A listener's SYN: does it set up ECN for the new connection? (tcp_ecn_create_request) */
    static void onSyn(Tcb tcb, Segment seg) {
        if (accepts(tcb.layer.settings(), seg)) {
            tcb.ecnFlags = OK;
        }
    }

    /** A SYN that asks for ECN, and this stack accepts it (a SYN cookie carries the answer). */
    static boolean accepts(TcpSettings settings, Segment seg) {
        return settings.ecn != 0 && (seg.flags & SETUP) == SETUP && seg.ipEcn == NOT_ECT;
    }

    /** Our active open asks for ECN with ecn=1 (tcp_ecn_send_syn). */
    static void onConnect(Tcb tcb) {
        if (tcb.layer.settings().ecn == 1) {
            tcb.ecnFlags = OK;
        }
    }

    /** The peer's SYN-ACK: ECN only if it has ECE without CWR (tcp_ecn_rcv_synack). */
    static void onSynAck(Tcb tcb, Segment seg) {
        if ((tcb.ecnFlags & OK) != 0 && (!seg.has(TcpView.ECE) || seg.has(TcpView.CWR))) {
            tcb.ecnFlags = 0;
        }
    }

    /** The ECN flags of our SYN or SYN-ACK; a retransmitted SYN falls back to none (RFC 3168 6.1.1.1). */
    static int synFlags(Tcb tcb, boolean synAck) {
        if ((tcb.ecnFlags & OK) == 0) {
            return 0;
        }
        if (synAck) {
            return TcpView.ECE;
        }
        return tcb.retransmits == 0 ? SETUP : 0;
    }

    /**
     * The ECN flags of a segment we send after the handshake, and whether its IP header is ECT(0)
     * (returned in bit 8): new data is ECT(0), with CWR if we reduced since the last one.
     */
    static int outFlags(Tcb tcb, int seq, int dataLength) {
        int f = tcb.ecnFlags;
        if ((f & OK) == 0) {
            return 0;
        }
        int flags = 0;
        if (dataLength > 0 && SeqNum.ge(seq, tcb.sndNxt)) {
            flags |= ECT_BIT;
            if ((f & QUEUE_CWR) != 0) {
                tcb.ecnFlags &= ~QUEUE_CWR;
                flags |= TcpView.CWR;
            }
        }
        if ((f & DEMAND_CWR) != 0) {
            flags |= TcpView.ECE;
        }
        return flags;
    }

    /** In {@link #outFlags}' result: the segment is ECT(0). */
    static final int ECT_BIT = 0x100;

    /** The IP ECN bits of a segment whose {@link #outFlags} were {@code flags}. */
    static int ipEcn(int flags) {
        return (flags & ECT_BIT) != 0 ? ECT0 : NOT_ECT;
    }

    /** A data segment arrived: CWR ends the demand, CE starts one (tcp_ecn_accept_cwr, __tcp_ecn_check_ce). */
    static void onData(Tcb tcb, Segment seg) {
        if ((tcb.ecnFlags & OK) == 0) {
            return;
        }
        if (seg.has(TcpView.CWR)) {
            tcb.ecnFlags &= ~DEMAND_CWR;
        }
        switch (seg.ipEcn) {
            case NOT_ECT -> {
                if ((tcb.ecnFlags & SEEN) != 0) {
                    tcb.quickAcks = Math.max(tcb.quickAcks, 2); // probably a retransmission
                }
            }
            case CE -> {
                tcb.layer.stats().inc(Counter.TcpExtTCPECNCeRcvd);
                if ((tcb.ecnFlags & DEMAND_CWR) == 0) {
                    tcb.quickAcks = Math.max(tcb.quickAcks, 2); // "better not delay acks"
                    tcb.ecnFlags |= DEMAND_CWR;
                }
                tcb.ecnFlags |= SEEN;
            }
            default -> tcb.ecnFlags |= SEEN;
        }
    }

    /** Linux tcp_ecn_rcv_ecn_echo: the ACK reports congestion (ECE, not on a SYN, ECN on). TcpAck sets FLAG_ECE. */
    static boolean isEcnEcho(Tcb tcb, Segment seg) {
        return seg.has(TcpView.ECE) && !seg.has(TcpView.SYN) && (tcb.ecnFlags & OK) != 0;
    }

    /** Linux tcp_ecn_queue_cwr, from tcp_init_cwnd_reduction: the next new data segment carries CWR. */
    static void queueCwr(Tcb tcb) {
        if ((tcb.ecnFlags & OK) != 0) {
            tcb.ecnFlags |= QUEUE_CWR;
        }
    }

}
