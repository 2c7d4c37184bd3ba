package io.tcpstack.drill;

import io.tcpstack.drill.Script.Event;
import io.tcpstack.drill.Script.Option;
import io.tcpstack.drill.Script.Packet;
import io.tcpstack.drill.Script.Time;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one script against one target with packetdrill's semantics (run.c, run_packet.c):
 * events in order, each at its time (relative times count from when the previous event
 * happened, consecutive inbound packets from the previous one's script time); inbound packets
 * get live sequence numbers, ACKs, SACK blocks and TS echoes; each outbound packet is the next
 * one the target sent, compared field by field in script space, and its time checked within the
 * tolerance (4 ms or 12.5% of the gap, whichever is larger); system calls run on the target's
 * sockets with their return values and errno checked.
 */
final class Runner {
    /** packetdrill's live_bind_port and live_connect_port. */
    static final int SCRIPT_PORT = 8080;
    /** The peer's port for connections a script accepts. */
    static final int REMOTE_PORT = 45678;
    /** packetdrill's tolerance_percent. */
    private static final double TOLERANCE_PERCENT = 12.5;
    /** How long {@code *} waits for an outbound packet. */
    private static final long ANY_TIME_WAIT_US = 60_000_000;

    /** A script's verdict. */
    record Verdict(Drill.Kind kind, String message, int line) {
        static Verdict pass() {
            return new Verdict(Drill.Kind.PASS, "", 0);
        }
    }

    private final Script script;
    private final Target target;
    private final Path dir;
    private final long toleranceUs;
    private final Map<Integer, Integer> fds = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final ScriptSocket socket = new ScriptSocket();

    private Event last;
    /**
     * When the previous event happened if it counts as instant (a call that returned at once: its
     * start; an injected packet: its scheduled time), else -1: the next relative time counts from
     * there rather than from after our own overhead.
     */
    private long instantAt = -1;
    private long lastScriptTime;
    private Target.Pending blocking;
    private Event blockingEvent;
    private long blockingEnd;

    Runner(Script script, Target target, Path dir, long toleranceUs) {
        this.script = script;
        this.target = target;
        this.dir = dir;
        this.toleranceUs = toleranceUs;
    }

    List<String> notes() {
        return notes;
    }

    /** Packet events with features no target here can produce or check make the script unsupported at once. */
    static String unsupportedReason(Script script) {
        for (Event e : script.events()) {
            if (e.action() instanceof Script.Unsupported u) {
                return u.reason() + " (line " + e.line() + ")";
            }
            if (e.action() instanceof Packet p && p.protocol().equals("tcp")) {
                if (p.tos() >= 0) {
                    return "IP TOS checks (line " + e.line() + ")";
                }
                if (p.urgent() != 0) {
                    return "urgent pointer (line " + e.line() + ")";
                }
            }
        }
        for (String option : script.options().keySet()) {
            if (!List.of("tolerance_usecs", "tolerance_percent", "mss", "mtu").contains(option)) {
                return "option --" + option;
            }
        }
        return null;
    }

    Verdict run() {
        String reason = unsupportedReason(script);
        if (reason != null) {
            return new Verdict(Drill.Kind.UNSUPPORTED, reason, 0);
        }
        List<Event> events = script.events();
        if (events.isEmpty()) {
            return new Verdict(Drill.Kind.UNSUPPORTED, "no events", 0);
        }
        if (events.get(0).time().kind() != Time.Kind.ABSOLUTE || events.get(0).time().start() != 0) {
            return new Verdict(Drill.Kind.FAIL, "first event should be at time 0", events.get(0).line());
        }
        int first = 0;
        try {
            // packetdrill's init command runs before the script's clock starts
            for (; first < events.size() && events.get(first).action() instanceof Script.Command c
                    && events.get(first).time().start() == 0; first++) {
                target.command(c.text(), dir);
            }
        } catch (Target.UnsupportedFeature u) {
            return new Verdict(Drill.Kind.UNSUPPORTED, u.getMessage() + " (line " + events.get(first).line() + ")",
                    events.get(first).line());
        }
        target.start();
        for (Event e : events.subList(first, events.size())) {
            try {
                String failure = event(e);
                if (failure != null) {
                    return new Verdict(Drill.Kind.FAIL, failure, e.line());
                }
            } catch (Target.UnsupportedFeature u) {
                return new Verdict(Drill.Kind.UNSUPPORTED, u.getMessage() + " (line " + e.line() + ")", e.line());
            }
            last = e;
        }
        if (blocking != null) {
            try {
                String failure = finishBlocking();
                if (failure != null) {
                    return new Verdict(Drill.Kind.FAIL, failure, blockingEvent.line());
                }
            } catch (Target.UnsupportedFeature u) {
                return new Verdict(Drill.Kind.UNSUPPORTED, u.getMessage(), blockingEvent.line());
            }
        }
        return Verdict.pass();
    }

    private static boolean inbound(Event e) {
        return e != null && e.action() instanceof Packet p && p.inbound();
    }

    /** packetdrill adjust_relative_event_times: the offset a relative time counts from. */
    private long offset(Event e) {
        if (inbound(last) && inbound(e)) {
            return lastScriptTime;
        }
        if (instantAt >= 0) {
            return instantAt;
        }
        return target.nowMicros();
    }

    private long tolerance(long scriptTime) {
        long gap = last == null ? 0 : scriptTime - lastScriptTime;
        return Math.max(toleranceUs, (long) (TOLERANCE_PERCENT / 100 * Math.max(gap, 0)));
    }

    private String event(Event e) throws Target.UnsupportedFeature {
        Time t = e.time();
        long offset = t.relative() || t.kind() == Time.Kind.ANY ? offset(e) : 0;
        long start = t.kind() == Time.Kind.ANY ? offset : t.start() + offset;
        long end = t.kind() == Time.Kind.ABSOLUTE_RANGE || t.kind() == Time.Kind.RELATIVE_RANGE ? t.end() + offset
                : start;
        long tolerance = tolerance(start);
        instantAt = -1;
        String failure;
        if (e.action() instanceof Packet p && !p.inbound()) {
            failure = outbound(e, p, start, end, tolerance);
        } else {
            if (blocking != null && !(e.action() instanceof Packet) && start >= blockingEnd) {
                failure = finishBlocking();
                if (failure != null) {
                    return failure;
                }
            }
            target.waitUntil(start);
            long late = target.nowMicros() - start;
            if (late > tolerance && t.kind() != Time.Kind.ANY) {
                return String.format("timing error: %s expected at %.6f s but the runner got there at %.6f s",
                        describe(e), start / 1e6, target.nowMicros() / 1e6);
            }
            if (e.action() instanceof Packet p) {
                failure = inject(p);
                instantAt = Math.max(start, 0);
            } else if (e.action() instanceof Script.Syscall s) {
                failure = syscall(e, s, offset, tolerance);
            } else if (e.action() instanceof Script.Command c) {
                target.command(c.text(), dir);
                failure = null;
            } else {
                throw new Target.UnsupportedFeature(((Script.Unsupported) e.action()).reason());
            }
        }
        lastScriptTime = t.kind() == Time.Kind.ANY ? target.nowMicros() : start;
        return failure;
    }

    private static String describe(Event e) {
        if (e.action() instanceof Packet p) {
            return p.inbound() ? "inbound packet" : "outbound packet";
        }
        return e.action() instanceof Script.Syscall s ? s.name() + "()" : "command";
    }

    // ---- system calls

    private String syscall(Event e, Script.Syscall s, long offset, long tolerance) throws Target.UnsupportedFeature {
        if (blocking != null) {
            String failure = finishBlocking();
            if (failure != null) {
                return failure;
            }
        }
        Syscalls.Call call = Syscalls.toCall(s, fds);
        if (call.op() == Syscalls.Op.CONNECT) {
            socket.connecting();
        }
        long started = target.nowMicros();
        Target.Pending pending = target.call(call, s.endMicros() >= 0);
        if (s.endMicros() >= 0) {
            blocking = pending;
            blockingEvent = e;
            blockingEnd = s.endMicros() + (e.time().relative() ? offset : 0);
            return null;
        }
        if (!target.await(pending, started + tolerance)) {
            return s.name() + "() was expected to return at once but it blocked (for more than "
                    + tolerance / 1000.0 + " ms)";
        }
        String failure = checkResult(s, pending.result());
        instantAt = started;
        return failure;
    }

    private String finishBlocking() throws Target.UnsupportedFeature {
        Script.Syscall s = (Script.Syscall) blockingEvent.action();
        Target.Pending p = blocking;
        blocking = null;
        long tolerance = Math.max(toleranceUs, (long) (TOLERANCE_PERCENT / 100 * blockingEnd));
        if (!target.await(p, blockingEnd + tolerance)) {
            return String.format("line %d: blocking %s() expected to return at %.6f s, still blocked at %.6f s",
                    blockingEvent.line(), s.name(), blockingEnd / 1e6, target.nowMicros() / 1e6);
        }
        Syscalls.Result r = p.result();
        if (Math.abs(r.atMicros() - blockingEnd) > tolerance) {
            return String.format("line %d: timing error: blocking %s() expected to return at %.6f s but returned "
                    + "at %.6f s", blockingEvent.line(), s.name(), blockingEnd / 1e6, r.atMicros() / 1e6);
        }
        String failure = checkResult(s, r);
        return failure == null ? null : "line " + blockingEvent.line() + ": " + failure;
    }

    private String checkResult(Script.Syscall s, Syscalls.Result r) throws Target.UnsupportedFeature {
        String failure = Syscalls.check(s, r, fds);
        return failure == null ? null : s.name() + "(): " + failure;
    }

    // ---- packets

    private String inject(Packet p) throws Target.UnsupportedFeature {
        if (p.protocol().equals("udp")) {
            target.inject(Wire.udp(Target.REMOTE, Target.LOCAL, p.srcPort() != 0 ? p.srcPort() : REMOTE_PORT,
                    p.dstPort() != 0 ? p.dstPort() : SCRIPT_PORT, p.length()));
            return null;
        }
        if (!p.protocol().equals("tcp")) {
            throw new Target.UnsupportedFeature("inbound " + p.protocol() + " packets");
        }
        int flags = Wire.flagBits(p.flags());
        long ackOffset = socket.localOffset();
        long ack = p.ack() == null ? 0 : p.ack() + ((flags & Wire.ACK) != 0 ? ackOffset : 0);
        List<Option> options = new ArrayList<>();
        for (Option o : p.options()) {
            if (o.kind().equals("sack")) {
                long[] blocks = o.sack().clone();
                for (int i = 0; i < blocks.length; i++) {
                    blocks[i] += ackOffset;
                }
                options.add(new Option("sack", 0, 0, blocks));
            } else if (o.kind().equals("TS") && (flags & Wire.ACK) != 0 && o.b() != 0) {
                options.add(new Option("TS", o.a(), socket.liveEcr(o.b()), null));
            } else {
                options.add(o);
            }
        }
        int ecn = p.ecn() == Script.Ecn.ANY ? 0 : p.ecn().bits;
        target.inject(Wire.tcp(Target.REMOTE, Target.LOCAL, ecn, p.srcPort() != 0 ? p.srcPort() : socket.remotePort,
                p.dstPort() != 0 ? p.dstPort() : socket.localPort, p.seq(), ack, flags,
                p.window() == null ? 0 : p.window(), p.urgent(), options, p.length()));
        return null;
    }

    private String outbound(Event e, Packet p, long start, long end, long tolerance) {
        long deadline = e.time().kind() == Time.Kind.ANY ? target.nowMicros() + ANY_TIME_WAIT_US : end + tolerance;
        Target.Outbound out;
        Wire.Parsed live;
        do {
            out = target.nextOutbound(deadline);
            live = out == null ? null : Wire.parse(out.packet());
        } while (out != null && (live == null || !ours(live)));
        if (out == null) {
            return String.format("expected outbound packet at %.6f s, none was sent by %.6f s%n  expected: %s",
                    start / 1e6, deadline / 1e6, Format.packet(p));
        }
        if (live.protocol() == Wire.TCP && (live.flags() & Wire.SYN) != 0) {
            socket.learnLocal(live, p);
        }
        if (live.protocol() == Wire.TCP && p.protocol().equals("tcp") && live.payloadLength() > 0
                && live.payloadLength() < p.length()) {
            live = coalesce(live, p.length(), deadline);
        }
        String mismatch = Format.compare(p, live, socket.localOffset());
        if (live.protocol() == Wire.TCP) {
            socket.recordTs(p, live);
        }
        if (mismatch != null) {
            return String.format("outbound packet at %.6f s does not match (%s)%n  expected: %s%n  actual:   %s",
                    out.atMicros() / 1e6, mismatch, Format.packet(p), Format.live(live, socket.localOffset()));
        }
        if (e.time().kind() != Time.Kind.ANY
                && (out.atMicros() < start - tolerance || out.atMicros() > end + tolerance)) {
            return String.format("timing error: expected outbound packet at %.6f s%s but it was sent at %.6f s "
                    + "(tolerance %.3f ms)%n  packet: %s", start / 1e6,
                    end != start ? String.format("~%.6f s", end / 1e6) : "", out.atMicros() / 1e6,
                    tolerance / 1000.0, Format.live(live, socket.localOffset()));
        }
        return null;
    }

    /**
     * packetdrill's TUN device has TSO: a script may expect one super-packet ({@code > P.
     * 1:10001(10000)}) where a target without it sends MSS-sized segments. Consecutive segments
     * that continue the first one, with the same ACK, are taken together up to the expected
     * length, as TSO would have sent them: one header, PSH and FIN from the last.
     */
    private Wire.Parsed coalesce(Wire.Parsed first, int wanted, long deadline) {
        Wire.Parsed total = first;
        while (total.payloadLength() < wanted) {
            Target.Outbound next = target.peekOutbound(deadline);
            Wire.Parsed n = next == null ? null : Wire.parse(next.packet());
            if (n == null || n.protocol() != Wire.TCP || n.seq() != ((total.seq() + total.payloadLength()) & 0xffffffffL)
                    || n.ack() != total.ack() || n.payloadLength() == 0
                    || ((n.flags() | Wire.PSH | Wire.FIN) != (total.flags() | Wire.PSH | Wire.FIN))) {
                break;
            }
            target.nextOutbound(deadline);
            total = new Wire.Parsed(Wire.TCP, total.tos(), total.ipId(), total.src(), total.dst(), total.srcPort(),
                    total.dstPort(), total.seq(), total.ack(), (total.flags() & ~(Wire.PSH | Wire.FIN)) | n.flags(),
                    n.window(), n.urgent(), total.options(), total.payloadLength() + n.payloadLength(), 0, 0,
                    total.raw());
        }
        return total;
    }

    /** Packets of the script's connection (or answers to the peer, such as ICMP); not the target's own chatter. */
    private static boolean ours(Wire.Parsed live) {
        return live.dst() == Target.REMOTE;
    }
}
