package io.tcpstack.testing;

import io.tcpstack.trace.SegmentText;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Builds segments from the scripted peer, and matchers for what the stack sends (gVisor's
 * checker.TCP(...) idea): {@code Seg.match().flags("S.").ack(1001)}.
 */
public final class Seg {
    private Seg() {}

    /** Parses tcpdump flag letters ("S", "S.", ".", "F.", "R", "R.", "P.") into header bits. */
    public static int flags(String letters) {
        return SegmentText.flags(letters);
    }

    /** A segment from the peer (PEER:peerPort) to the stack (STACK:stackPort). */
    public static Builder from(int peerPort, int stackPort) {
        return new Builder(peerPort, stackPort);
    }

    public static final class Builder {
        private final int peerPort;
        private final int stackPort;
        private int flags;
        private int seq;
        private int ack;
        private int window = 65535;
        private TcpSegment.Options options = TcpSegment.Options.NONE;
        private byte[] payload = new byte[0];

        Builder(int peerPort, int stackPort) {
            this.peerPort = peerPort;
            this.stackPort = stackPort;
        }

        public Builder flags(String letters) {
            this.flags = Seg.flags(letters);
            return this;
        }

        public Builder seq(long seq) {
            this.seq = (int) seq;
            return this;
        }

        public Builder ack(long ack) {
            this.ack = (int) ack;
            return this;
        }

        public Builder window(int window) {
            this.window = window;
            return this;
        }

        public Builder options(TcpSegment.Options options) {
            this.options = options;
            return this;
        }

        public Builder ts(long val, long ecr) {
            this.options = TcpSegment.Options.timestamps(val, ecr);
            return this;
        }

        public Builder payload(byte[] payload) {
            this.payload = payload;
            return this;
        }

        public Builder payload(String text) {
            return payload(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }

        public TcpSegment build() {
            return new TcpSegment(PacketHarness.PEER, PacketHarness.STACK, peerPort, stackPort, seq, ack, flags, window,
                    options, payload);
        }
    }

    /** A matcher for segments the stack sends. */
    public static Matcher match() {
        return new Matcher();
    }

    public static final class Matcher implements Predicate<TcpSegment> {
        private final List<Predicate<TcpSegment>> checks = new ArrayList<>();
        private final StringBuilder description = new StringBuilder();

        private Matcher add(String what, Predicate<TcpSegment> check) {
            checks.add(check);
            description.append(description.length() == 0 ? "" : " ").append(what);
            return this;
        }

        /** Exactly these flags (tcpdump letters). */
        public Matcher flags(String letters) {
            int want = Seg.flags(letters);
            return add("flags=" + letters, s -> (s.flags() & ~TcpView.PSH) == (want & ~TcpView.PSH)
                    && ((want & TcpView.PSH) == 0 || s.has(TcpView.PSH)));
        }

        public Matcher seq(long seq) {
            return add("seq=" + Integer.toUnsignedString((int) seq), s -> s.seq() == (int) seq);
        }

        public Matcher ack(long ack) {
            return add("ack=" + Integer.toUnsignedString((int) ack), s -> s.ack() == (int) ack);
        }

        public Matcher window(int window) {
            return add("win=" + window, s -> s.window() == window);
        }

        public Matcher payloadLength(int length) {
            return add("len=" + length, s -> s.payloadLength() == length);
        }

        public Matcher dstPort(int port) {
            return add("dport=" + port, s -> s.dstPort() == port);
        }

        public Matcher srcPort(int port) {
            return add("sport=" + port, s -> s.srcPort() == port);
        }

        public Matcher noOptions() {
            return add("no options", s -> s.options() == null || s.options().equals(TcpSegment.Options.NONE)
                    || (s.options().mss() < 0 && s.options().tsVal() == null && s.options().wscale() < 0
                            && !s.options().sackPermitted() && s.options().sackBlocks().length == 0));
        }

        public Matcher that(String what, Predicate<TcpSegment> check) {
            return add(what, check);
        }

        @Override
        public boolean test(TcpSegment s) {
            return checks.stream().allMatch(c -> c.test(s));
        }

        @Override
        public String toString() {
            return description.toString();
        }
    }
}
