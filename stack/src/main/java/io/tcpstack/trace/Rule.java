package io.tcpstack.trace;

import io.tcpstack.stats.DropReason;

/**
 * The rules the stack applies, each with where it comes from (RFC section, Linux function) and
 * one sentence. The stack names the rule where it decides: a cause recorded just before a segment
 * goes out, a state change, a timer, a note. Drops carry theirs in {@link DropReason}. Traces
 * carry the name ({@code rule=FAST_RETRANSMIT}); ladders and the step-through page show the rest.
 */
public enum Rule {
    // ---- opening
    ACTIVE_OPEN("RFC 9293 3.10.1; Linux tcp_connect",
            "An active open: the SYN carries our ISN and the options we offer, and the connection is in SYN-SENT."),
    PASSIVE_OPEN("RFC 9293 3.10.7.2; Linux tcp_conn_request",
            "A SYN reached a listener: SYN-RECEIVED, and a SYN-ACK with our ISN and the options the SYN offered."),
    HANDSHAKE_ACK("RFC 9293 3.10.7.3; Linux tcp_rcv_synsent_state_process",
            "The SYN-ACK acknowledges our SYN: ESTABLISHED, and the third segment acknowledges the peer's SYN."),
    HANDSHAKE_DONE("RFC 9293 3.10.7.4 fifth; Linux tcp_rcv_state_process",
            "The ACK of our SYN-ACK completes the passive open: ESTABLISHED."),
    SIMULTANEOUS_OPEN("RFC 9293 3.10.7.3 fourth; Linux tcp_rcv_synsent_state_process",
            "A SYN without ACK in SYN-SENT: both ends opened at once; SYN-RECEIVED, our SYN goes again with an ACK."),
    SYN_COOKIE("Linux tcp_conn_request (want_cookie), cookie_v4_check",
            "The request queue is full: the SYN-ACK's ISN is a SYN cookie and nothing is kept; an ACK that returns a"
                    + " valid cookie rebuilds the connection in SYN-RECEIVED."),
    SYN_RETRANSMIT("RFC 6298 5.5, RFC 9293 3.8.1; Linux tcp_retransmit_timer",
            "The SYN (or SYN-ACK) was not answered in time: it goes again with the same ISN, and the timer backs off."),
    // ---- data and acknowledgements
    DATA("RFC 9293 3.10.2; Linux tcp_write_xmit",
            "New data, as much as the peer's window and the congestion window allow."),
    NAGLE("RFC 896, RFC 9293 3.7.4; Linux tcp_nagle_test",
            "Nagle: a small segment waits while earlier data is unacknowledged."),
    ACK_NOW("RFC 1122 4.2.3.2; Linux __tcp_ack_snd_check",
            "ACK at once: quick-ACK mode at the start, or more than one full segment unacknowledged."),
    BURST_ACK("RFC 1122 4.2.3.2; Linux tcp_ack_snd_check after GRO",
            "The in-order data of a receive burst is acknowledged once, at the end of the burst."),
    DELAYED_ACK("RFC 1122 4.2.3.2; Linux tcp_delack_timer",
            "The delayed-ACK timer fired: nothing went back to carry the ACK, so it goes alone."),
    OFO_ACK("RFC 5681 4.2, RFC 2018; Linux tcp_data_queue_ofo",
            "Out-of-order data is acknowledged at once (a duplicate ACK, with SACK blocks): the sender learns of the hole."),
    DUP_DATA_ACK("RFC 9293 3.10.7.4, RFC 2883; Linux tcp_data_queue",
            "Data that arrived before is acknowledged at once, so the sender learns where the receiver is."),
    FIN_ACK("RFC 9293 3.10.7.4 eighth; Linux tcp_fin",
            "The peer's FIN is acknowledged at once."),
    WINDOW_UPDATE("RFC 9293 3.8.6.2.2; Linux tcp_cleanup_rbuf",
            "The application read enough to open the window noticeably: the peer is told."),
    OOW_ACK("RFC 9293 3.10.7.4 first; Linux tcp_send_dupack",
            "An unacceptable segment gets an ACK of where we are (at most one per tcp_invalid_ratelimit)."),
    CHALLENGE_ACK("RFC 5961 3.2, 4, 5.2; Linux tcp_send_challenge_ack",
            "An RST, SYN or old ACK that might be forged gets an ACK instead: a genuine peer answers with an exact RST."),
    FIN("RFC 9293 3.10.4; Linux tcp_send_fin",
            "The application closed: a FIN follows the queued data."),
    // ---- loss recovery
    RTO_RETRANSMIT("RFC 6298 5.4-5.6, RFC 5681 3.5; Linux tcp_retransmit_timer",
            "The retransmission timer fired: the oldest unacknowledged segment goes again, the RTO doubles, cwnd drops to 1."),
    FAST_RETRANSMIT("RFC 5681 3.2, RFC 6675 5, RFC 8985 6.2; Linux tcp_xmit_retransmit_queue",
            "The ACKs show this segment lost (duplicate ACKs, SACKs above it, or RACK: a later one delivered a reordering"
                    + " window ago): it goes again while cwnd has room, without waiting for the timer."),
    TAIL_LOSS_PROBE("RFC 8985 7.3; Linux tcp_send_loss_probe",
            "No ACK two round trips after the last send: a probe (new data, or the last segment again) asks for one, so"
                    + " that a lost tail is found without waiting for the retransmission timeout."),
    CONGESTION_STATE("RFC 6675, RFC 8985, RFC 6937; Linux tcp_set_ca_state",
            "The sender's congestion state changed (Open, Disorder, CWR, Recovery, Loss): how it treats cwnd and"
                    + " what it retransmits."),
    PATH_MTU("RFC 8201 4, RFC 4443 3.2; Linux tcp_v6_mtu_reduced, tcp_simple_retransmit",
            "A Packet Too Big lowered the path MTU: segments shrink to fit it, and what is in flight and too large goes again."),
    WINDOW_PROBE("RFC 9293 3.8.6.1, RFC 1122 4.2.2.17; Linux tcp_probe_timer",
            "The peer's window is zero: the persist timer sends a probe (an acknowledged byte), backing off, until it opens."),
    KEEPALIVE("RFC 1122 4.2.3.6; Linux tcp_keepalive_timer",
            "Idle for keepalive-time: a probe at snd.una - 1 asks the peer to answer."),
    // ---- resets
    RST_NO_SOCKET("RFC 9293 3.10.7.1; Linux tcp_v4_send_reset",
            "A segment for no connection: RST seq=SEG.ACK, or RST/ACK acknowledging it when it had no ACK."),
    RST_BAD_ACK("RFC 9293 3.10.7.2, 3.10.7.3; Linux tcp_v4_send_reset",
            "An ACK of something never sent (to a listener, or in SYN-SENT): RST seq=SEG.ACK, our own state unchanged."),
    RST_ABORT("RFC 9293 3.10.5; Linux tcp_send_active_reset",
            "The application aborted (SO_LINGER 0, a kill, new data after close): RST to the peer."),
    RECORD_RST("RFC 1122 4.2.2.13; Linux tcp_timewait_state_process",
            "New data or a SYN inside the window of a closed connection's record: RST, and the record is gone."),
    // ---- closing and records
    CLOSE_CALL("RFC 9293 3.10.4; Linux tcp_close",
            "The application closed: our FIN is queued (FIN-WAIT-1, or LAST-ACK after the peer's FIN)."),
    PEER_FIN("RFC 9293 3.10.7.4 eighth; Linux tcp_fin",
            "The peer's FIN: it sends no more; CLOSE-WAIT until our application closes too."),
    FIN_ACKED("RFC 9293 3.10.7.4 fifth; Linux tcp_rcv_state_process",
            "Our FIN is acknowledged: FIN-WAIT-2 (waiting for the peer's FIN), or CLOSED after LAST-ACK."),
    SIMULTANEOUS_CLOSE("RFC 9293 3.10.7.4 eighth; Linux tcp_fin",
            "The peer's FIN came before the ACK of ours: both closed at once, CLOSING."),
    TIME_WAIT("RFC 9293 3.10.7.4 eighth, 3.6; Linux tcp_time_wait",
            "The closer that saw both FINs waits 2 MSL (timewait-len, 60 s) in a compact record: old duplicates die, the last ACK can be repeated."),
    FIN_WAIT_2_RECORD("Linux tcp_rcv_state_process -> tcp_time_wait(TCP_FIN_WAIT2)",
            "An orphaned connection whose FIN is acknowledged is replaced by a compact FIN-WAIT-2 record (the full socket is freed); it waits fin-timeout for the peer's FIN."),
    RESET_RECEIVED("RFC 9293 3.10.7.4 second, RFC 5961 3.2; Linux tcp_reset",
            "An RST exactly at rcv.nxt (or acknowledging our SYN) ends the connection."),
    TIMED_OUT("RFC 9293 3.8.3, RFC 1122 4.2.3.5; Linux tcp_write_err",
            "Retransmissions (or probes) ran out: the connection is given up without a segment."),
    ABORTED("RFC 9293 3.10.5; Linux tcp_abort",
            "The connection was aborted locally: RST to the peer, the application sees an error."),
    CLOSED_QUIETLY("RFC 9293 3.10.7; Linux tcp_done",
            "The connection ends without a record (a passive open that never completed, or no room for TIME_WAIT)."),
    RECORD_EXPIRED("RFC 9293 3.6; Linux tw_timer_handler",
            "The record's timer ran out (TIME-WAIT: timewait-len; FIN-WAIT-2: fin-timeout): it disappears silently, TcpExtTW counts it."),
    RECORD_KILLED_BY_RST("RFC 9293 3.10.7.4 second; Linux tcp_timewait_state_process",
            "An RST in the window of a FIN-WAIT-2 record (or at rcv.nxt of a TIME-WAIT one, rfc1337=0) removes it."),
    RECORD_ACK("Linux tcp_timewait_state_process, tcp_v4_timewait_ack",
            "A closed connection's record answers for the old connection: seq = its old snd.nxt, ack = its old rcv.nxt."),
    RECORD_FIN("RFC 9293 3.10.7.4 eighth; Linux tcp_timewait_state_process",
            "The peer's FIN reached a FIN-WAIT-2 record: it becomes TIME-WAIT for the full timewait-len."),
    TW_REUSE("Linux tcp_twsk_unique (tcp_tw_reuse)",
            "A new connect takes over a TIME-WAIT 4-tuple: timestamps were on and the last one is over tw-reuse-delay old."),
    TW_NEW_SYN("RFC 6191, RFC 1122 4.2.2.13; Linux tcp_timewait_state_process",
            "A SYN beyond the old connection (higher seq or newer timestamp) ends the TIME-WAIT record and opens anew."),
    TW_RECYCLE("Linux < 4.12 tcp_peer_is_proven (tcp_tw_recycle)",
            "tw_recycle: a SYN from a peer address whose timestamp is older than the one remembered is dropped without a word."),
    // ---- the two SYN-resend behaviours
    UNACCEPTABLE_ACK_TIMEOUT_MIN("Linux >= 5.6 tcp_rcv_synsent_state_process, commit 9603d47bad46",
            "An unacceptable ACK in SYN-SENT: RST seq=SEG.ACK, and the SYN goes again after TCP_TIMEOUT_MIN, not the full RTO."),
    UNACCEPTABLE_ACK_RTO_INIT("Linux <= 5.5 tcp_rcv_synsent_state_process",
            "An unacceptable ACK in SYN-SENT: RST seq=SEG.ACK, and the SYN waits for the retransmission timer (1 s at first)."),
    // ---- limits under abuse
    OUT_OF_RESOURCES("Linux tcp_out_of_resources, tcp_check_oom (tcp_max_orphans)",
            "Too many orphaned connections: one that times out or is closed now is aborted (TcpExtTCPAbortOnMemory)."),
    // ---- timers
    RETRANSMISSION_TIMEOUT("RFC 6298 5; Linux tcp_retransmit_timer",
            "The retransmission timer ran out before the ACK came.");

    private final String cite;
    private final String why;

    Rule(String cite, String why) {
        this.cite = cite;
        this.why = why;
    }

    public String cite() {
        return cite;
    }

    public String why() {
        return why;
    }

    /** A rule's source and sentence, whatever enum it came from. */
    public record Explanation(String name, String cite, String why) {
    }

    /** Explains a rule name from a trace: a {@link Rule} or a {@link DropReason}; null if neither. */
    public static Explanation explain(String name) {
        if (name == null) {
            return null;
        }
        for (Rule r : values()) {
            if (r.name().equals(name)) {
                return new Explanation(name, r.cite, r.why);
            }
        }
        for (DropReason d : DropReason.values()) {
            if (d.name().equals(name)) {
                return new Explanation(name, d.rule(), d.why());
            }
        }
        return null;
    }
}
