package io.tcpstack.tcp;

import io.tcpstack.api.types.SynOptions;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.trace.Rule;
import io.tcpstack.trace.TraceLadder;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SEGMENT ARRIVES for a listener (RFC 9293 3.10.7.2) as Linux takes it. A SYN becomes a request,
 * a Tcb in SYN-RECEIVED in the listener's request queue that retransmits its SYN-ACK
 * (tcp_conn_request); when that queue is full, or with tcp_syncookies = 2, the SYN-ACK carries a
 * SYN cookie and nothing is kept; an ACK to the listener may bring a cookie back, which rebuilds
 * the connection (cookie_v4_check, cookie_v6_check). Either family: the local address of a
 * connection is ours of its peer's family. Any other ACK gets a reset, and everything else is dropped.
 */
final class ListenInput {
    private static final Logger log = LoggerFactory.getLogger(ListenInput.class);

    /** What the caller does with the segment afterwards. */
    enum Verdict {
        /** Handled: answered, dropped or turned into a connection. */
        DONE,
        /** Another worker created the connection first: look the segment up again. */
        RETRY,
        /** Not a cookie of ours (cookie_v4_check returned the listener): LISTEN answers an ACK with RST. */
        RESET
    }

    private final TcpLayer layer;
    private final StackStats stats;
    private final SynCookies cookies;

    ListenInput(TcpLayer layer, RandomGenerator random) {
        this.layer = layer;
        this.stats = layer.stats();
        this.cookies = new SynCookies(random);
    }

    Verdict process(Listener listener, Segment seg, int isnFromTimeWait) {
        if (seg.has(TcpView.RST)) {
            layer.states().drop(seg, DropReason.TCP_FLAGS);
            return Verdict.DONE;
        }
        if (seg.has(TcpView.ACK)) {
            // tcp_v4_cookie_check: only an ACK without SYN can carry a cookie
            Verdict v = seg.has(TcpView.SYN) ? Verdict.RESET : cookieAck(listener, seg);
            if (v == Verdict.RESET) {
                layer.states().drop(seg, DropReason.TCP_FLAGS);
                layer.trace().cause(null, Rule.RST_BAD_ACK);
                layer.bareSegments().sendResetFor(seg); // "<SEQ=SEG.ACK><CTL=RST>"
                return Verdict.DONE;
            }
            return v;
        }
        if (!seg.has(TcpView.SYN) || seg.has(TcpView.FIN)) {
            // Linux tcp_rcv_state_process, LISTEN: "if (th->fin) goto discard" for a SYN with FIN
            layer.states().drop(seg, DropReason.TCP_FLAGS);
            return Verdict.DONE;
        }
        return connRequest(listener, seg, isnFromTimeWait);
    }

    /** Linux tcp_conn_request: a request, a cookie, or a drop. */
    private Verdict connRequest(Listener listener, Segment seg, int isnFromTimeWait) {
        TcpSettings s = layer.settings();
        if (layer.limits().atConnectionLimit()) {
            listenDrop(seg);
            return Verdict.DONE;
        }
        int syncookies = s.syncookies;
        boolean wantCookie = false;
        // a TIME_WAIT successor skips both: "they conserve resources and peer is evidently real one"
        if ((syncookies == 2 || listener.requestQueueFull()) && isnFromTimeWait == 0) {
            wantCookie = synFloodAction(listener, syncookies);
            if (!wantCookie) {
                listenDrop(seg);
                return Verdict.DONE;
            }
        }
        if (acceptQueueOverflow(listener, seg)) {
            return Verdict.DONE;
        }
        // without cookies the last quarter of tcp_max_syn_backlog is for peers proven alive (Linux
        // keeps them in tcp_metrics; the stack keeps none, so none is proven)
        if (!wantCookie && isnFromTimeWait == 0 && syncookies == 0
                && s.maxSynBacklog - listener.requestQueueLength() < s.maxSynBacklog >> 2) {
            listenDrop(seg);
            return Verdict.DONE;
        }
        if (wantCookie) {
            sendCookie(listener, seg, s);
            return Verdict.DONE;
        }
        return request(listener, seg, isnFromTimeWait);
    }

    /** Linux tcp_syn_flood_action: cookies or a drop, counted; the first time, a log line. */
    private boolean synFloodAction(Listener listener, int syncookies) {
        boolean wantCookie = syncookies != 0;
        stats.inc(wantCookie ? Counter.TcpExtTCPReqQFullDoCookies : Counter.TcpExtTCPReqQFullDrop);
        if (syncookies != 2 && listener.firstSynFlood()) {
            log.info("Possible SYN flooding on port {}. {}. Check the counters (ctl stats).", listener.port,
                    wantCookie ? "Sending cookies" : "Dropping request");
        }
        return wantCookie;
    }

    /** Linux tcp_listendrop: every SYN or ACK a listener could not take. */
    private void listenDrop(Segment seg) {
        stats.inc(Counter.TcpExtListenDrops);
        layer.states().drop(seg, DropReason.TCP_LISTEN_OVERFLOW);
    }

    /**
     * Linux tcp_check_req, through syn_recv_sock: a completed handshake the accept queue has no
     * room for is dropped; the request stays and resends its SYN-ACK, the peer's next ACK may fit.
     */
    boolean acceptQueueOverflow(Tcb tcb, Segment seg) {
        return tcb.listener != null && acceptQueueOverflow(tcb.listener, seg);
    }

    /** sk_acceptq_is_full: the segment is counted (ListenOverflows, ListenDrops) and dropped; true if so. */
    private boolean acceptQueueOverflow(Listener listener, Segment seg) {
        if (!listener.acceptQueueFull()) {
            return false;
        }
        stats.inc(Counter.TcpExtListenOverflows);
        listenDrop(seg);
        return true;
    }

    /** A Tcb in SYN-RECEIVED, in the listener's request queue, and our SYN-ACK (RFC 9293 3.10.7.2). */
    private Verdict request(Listener listener, Segment seg, int isnFromTimeWait) {
        IpAddress source = seg.source();
        Tcb tcb = new Tcb(layer, layer.localAddress(source), seg.destinationPort, source, seg.sourcePort);
        tcb.listener = listener;
        if (!listener.addRequest(tcb)) {
            layer.states().drop(seg, DropReason.TCP_LISTEN_OVERFLOW); // it closed meanwhile
            return Verdict.DONE;
        }
        boolean published;
        tcb.lock.lock();
        try {
            layer.handshake().offerOptions(tcb, listener.synOptions);
            tcb.state = TcpState.SYN_RECEIVED;
            tcb.irs = seg.seq;
            tcb.rcvNxt = seg.seq + 1;
            tcb.rcvWup = tcb.rcvNxt;
            layer.handshake().negotiate(tcb, seg.options);
            Ecn.onSyn(tcb, seg);
            if (tcb.tsOk) {
                tcb.tsRecent = seg.options.tsVal;
                tcb.tsRecentStampMs = layer.nowMs();
            }
            tcb.sndWnd = seg.window; // RFC 7323 2.2: never scaled in a SYN
            tcb.maxSndWnd = tcb.sndWnd;
            tcb.sndWl1 = seg.seq;
            layer.handshake().initSendSequence(tcb, isnFromTimeWait != 0 ? isnFromTimeWait
                    : layer.handshake().isn(tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort));
            published = layer.demux().putIfAbsent(tcb) == null;
            if (published) {
                layer.trace().state(tcb, TcpState.LISTEN, TcpState.SYN_RECEIVED,
                        isnFromTimeWait != 0 ? Rule.TW_NEW_SYN : Rule.PASSIVE_OPEN);
                tcb.rttStartNanos = layer.clock().nanos();
                layer.output().sendSyn(tcb);
                TcpTimers.armSynRetransmit(tcb);
                layer.trace().vars(tcb, TraceLadder.AFTER_SEGMENT);
            } else {
                tcb.state = TcpState.CLOSED;
                tcb.listener = null;
            }
        } finally {
            tcb.lock.unlock();
        }
        if (!published) {
            listener.abandoned(tcb);
            return Verdict.RETRY;
        }
        return Verdict.DONE;
    }

    // ---- SYN cookies

    /**
     * A SYN-ACK whose ISN is a cookie (tcp_conn_request with want_cookie): the SYN's options live
     * on only in the cookie, its MSS rounded down to the cookie's table and, when the SYN had a
     * timestamp, window scale and SACK in the low bits of our TSval; without one, the SYN-ACK
     * offers nothing but our MSS (tcp_clear_options).
     */
    private void sendCookie(Listener listener, Segment seg, TcpSettings s) {
        TcpOptions o = seg.options;
        SynOptions offered = listener.synOptions;
        long now = layer.nowMs();
        boolean timestamps = SynOptions.or(offered.timestamps(), s.timestamps) && o.hasTimestamp;
        boolean sack = timestamps && SynOptions.or(offered.sack(), s.sack) && o.sackPermitted;
        int peerWscale = timestamps && SynOptions.or(offered.windowScaling(), s.windowScaling) && o.wscale >= 0
                ? o.wscale : -1;
        boolean ecn = timestamps && Ecn.accepts(s, seg); // only a timestamp can carry it
        int peerMss = o.mss > 0 ? o.mss : TcpSettings.MSS_DEFAULT;
        IpAddress source = seg.source();
        IpAddress local = layer.localAddress(source);
        int iss = cookies.isn(source, local, seg.sourcePort, seg.destinationPort, seg.seq, peerMss, now);
        listener.overflowed(now); // tcp_synq_overflow: ACKs are checked for cookies from now on
        stats.inc(Counter.TcpExtSyncookiesSent);
        layer.trace().cause(null, Rule.SYN_COOKIE);
        // the clock at tcp_ts_hz, as every other TSval of ours (Linux cookie_init_timestamp)
        int tsVal = SynCookies.timestamp(Integer.toUnsignedLong(layer.tsClock()), peerWscale, sack, ecn)
                + layer.handshake().tsOffset(local, seg.destinationPort, source, seg.sourcePort);
        int wscale = peerWscale >= 0 ? layer.handshake().ourWindowScale() : -1;
        int mss = advMss(offered, source);
        layer.bareSegments().sendSynAck(seg, iss, synWindow(mss, timestamps), mss, sack, timestamps, tsVal, wscale, ecn);
    }

    /**
     * The MSS a listener offers {@code remote} (TCP_MAXSEG, at most the path MTU's), as {@link
     * Handshake#offerOptions} sets it.
     */
    private int advMss(SynOptions offered, IpAddress remote) {
        int ours = layer.output().ourMss(remote);
        return offered.mss() > 0 ? Math.min(offered.mss(), ours) : ours;
    }

    /** The window of a SYN-ACK, as {@link TcpOutput#sendSyn} offers it from a fresh Tcb. */
    private int synWindow(int advMss, boolean timestamps) {
        return layer.output().synWindow(RcvBufAutotuning.windowFromSpace(layer.settings().rmem.initial()),
                advMss - (timestamps ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0));
    }

    /** Linux cookie_v4_check and cookie_v6_check, for an ACK to a listener; then the ACK is processed in SYN-RECEIVED. */
    private Verdict cookieAck(Listener listener, Segment seg) {
        TcpSettings s = layer.settings();
        long now = layer.nowMs();
        if (s.syncookies == 0 || !listener.recentlyOverflowed(now)) {
            return Verdict.RESET; // tcp_synq_no_recent_overflow: no cookie sent in the last 2 minutes
        }
        IpAddress source = seg.source();
        IpAddress local = layer.localAddress(source);
        int mss = cookies.check(seg.ack - 1, source, local, seg.sourcePort, seg.destinationPort, seg.seq - 1, now);
        if (mss == 0) {
            stats.inc(Counter.TcpExtSyncookiesFailed);
            return Verdict.RESET;
        }
        stats.inc(Counter.TcpExtSyncookiesRecv);
        // the TSecr echoes our cookie TSval: less our offset, its low bits are the SYN's options
        TcpOptions o = seg.options;
        int options = o.hasTimestamp && o.tsEcr != 0
                ? o.tsEcr - layer.handshake().tsOffset(local, seg.destinationPort, source, seg.sourcePort) : 0;
        TcpOptions syn = cookieOptions(o, mss, options, s, listener.synOptions);
        if (syn == null) {
            return Verdict.RESET; // it encodes an option this stack has turned off since
        }
        if (layer.limits().atConnectionLimit()) {
            listenDrop(seg);
            return Verdict.DONE;
        }
        if (acceptQueueOverflow(listener, seg)) {
            return Verdict.DONE;
        }
        Tcb tcb = new Tcb(layer, local, seg.destinationPort, source, seg.sourcePort);
        tcb.listener = listener;
        tcb.lock.lock();
        try {
            layer.handshake().offerOptions(tcb, listener.synOptions);
            tcb.state = TcpState.SYN_RECEIVED;
            tcb.irs = seg.seq - 1;
            tcb.rcvNxt = seg.seq;
            tcb.rcvWup = tcb.rcvNxt;
            layer.handshake().negotiate(tcb, syn);
            if (tcb.tsOk) {
                tcb.tsRecent = seg.options.tsVal;
                tcb.tsRecentStampMs = now;
            }
            if ((options & SynCookies.TS_OPT_ECN) != 0 && s.ecn != 0) {
                tcb.ecnFlags = Ecn.OK; // Linux cookie_ecn_ok
            }
            tcb.sndWl1 = tcb.irs;
            layer.handshake().initSendSequence(tcb, seg.ack - 1);
            tcb.rcvWnd = synWindow(tcb.advMss, tcb.tsOk);
            tcb.rcvSsthresh = tcb.rcvWnd;
            // no RTT sample from a SYN-ACK that left no trace (Linux: snt_synack 0): one from the
            // ACK's timestamp echo if it has one, else the 3 s fallback of RFC 6298 5.7
            tcb.retransmits = 1;
            if (layer.demux().putIfAbsent(tcb) != null) {
                return Verdict.RETRY; // a copy of this ACK on another worker made it first
            }
            layer.trace().state(tcb, TcpState.LISTEN, TcpState.SYN_RECEIVED, Rule.SYN_COOKIE);
            if (layer.trace().enabled()) {
                layer.trace().note(tcb, Rule.SYN_COOKIE, "rebuilt from a SYN cookie: mss " + mss + (syn.wscale >= 0 ? " wscale " + syn.wscale
                        : "") + (syn.sackPermitted ? " sack" : "") + (syn.hasTimestamp ? " ts" : ""));
            }
            layer.input().process(tcb, seg);
            if (tcb.state == TcpState.SYN_RECEIVED) {
                // the ACK did not complete it (the accept queue filled meanwhile): Linux makes no
                // child then, and this one has no SYN-ACK to retransmit; it goes without a trace
                layer.demux().remove(tcb);
                layer.states().release(tcb);
            }
        } finally {
            tcb.lock.unlock();
        }
        return Verdict.DONE;
    }

    /**
     * Linux cookie_timestamp_decode: the SYN's options as the cookie kept them (the MSS in the
     * ISN, the rest in {@code options}, the low bits of the ACK's TSecr less our offset), or null
     * when they ask for an option that is turned off.
     */
    private static TcpOptions cookieOptions(TcpOptions o, int mss, int options, TcpSettings s, SynOptions offered) {
        TcpOptions syn = new TcpOptions();
        syn.clear();
        syn.mss = mss;
        if (!o.hasTimestamp) {
            return syn;
        }
        if (!SynOptions.or(offered.timestamps(), s.timestamps)) {
            return null;
        }
        syn.hasTimestamp = true;
        syn.tsVal = o.tsVal;
        syn.sackPermitted = (options & SynCookies.TS_OPT_SACK) != 0;
        if (syn.sackPermitted && !SynOptions.or(offered.sack(), s.sack)) {
            return null;
        }
        if ((options & SynCookies.TS_OPT_WSCALE_MASK) == SynCookies.TS_OPT_WSCALE_MASK) {
            return syn;
        }
        syn.wscale = options & SynCookies.TS_OPT_WSCALE_MASK;
        return SynOptions.or(offered.windowScaling(), s.windowScaling) ? syn : null;
    }
}
