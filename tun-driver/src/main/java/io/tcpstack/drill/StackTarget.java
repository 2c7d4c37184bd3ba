package io.tcpstack.drill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.link.Link;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.VirtualClock;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The stack on virtual time: a {@link TcpStack} whose link hands the runner every packet it
 * sends, stamped with the virtual time it left; time moves only when the script says so, firing
 * every timer on its deadline. System calls go to {@link StackSockets}.
 */
final class StackTarget implements Target {
    private static final long START_NANOS = 1_000_000_000L;

    private final VirtualClock clock = new VirtualClock(START_NANOS);
    private final TcpSettings settings = new TcpSettings();
    private final ArrayDeque<Outbound> sent = new ArrayDeque<>();
    private final CaptureLink link = new CaptureLink();
    private final TcpStack stack;
    private final StackSockets sockets;
    private final StackSysctls sysctls;
    private final List<StackSockets.Attempt> pending = new ArrayList<>();

    StackTarget(List<String> notes) {
        this.stack = new TcpStack(StackConfig.builder().address(LOCAL).build(), link, clock, settings);
        stack.start();
        this.sockets = new StackSockets(stack, REMOTE, Runner.SCRIPT_PORT, this::nowMicros);
        this.sysctls = new StackSysctls(settings, notes);
    }

    TcpSettings settings() {
        return settings;
    }

    @Override
    public String name() {
        return "stack";
    }

    @Override
    public void start() {
    }

    @Override
    public long nowMicros() {
        return (clock.nanos() - START_NANOS) / 1000;
    }

    @Override
    public void waitUntil(long micros) {
        stack.advanceTo(START_NANOS + micros * 1000, this::retryPending);
    }

    /** Time moves to the next timer at most: the next event (a packet, a finished call) may come from it. */
    private boolean step(long deadlineNanos) {
        long next = stack.nextTimerNanos();
        if (next > deadlineNanos) {
            if (deadlineNanos > clock.nanos()) {
                clock.setNanos(deadlineNanos);
            }
            retryPending();
            return false;
        }
        clock.setNanos(Math.max(next, clock.nanos()));
        stack.runTimers();
        retryPending();
        return true;
    }

    @Override
    public void inject(byte[] packet) {
        link.deliver(packet);
        retryPending();
    }

    @Override
    public Outbound nextOutbound(long deadlineMicros) {
        peekOutbound(deadlineMicros);
        return sent.poll();
    }

    @Override
    public Outbound peekOutbound(long deadlineMicros) {
        long deadline = START_NANOS + deadlineMicros * 1000;
        while (sent.isEmpty()) {
            if (!step(deadline)) {
                break;
            }
        }
        return sent.peek();
    }

    @Override
    public void command(String commandLine, Path scriptDir) throws UnsupportedFeature {
        sysctls.command(commandLine);
    }

    @Override
    public Pending call(Syscalls.Call call, boolean mayBlock) throws UnsupportedFeature {
        StackSockets.Attempt attempt = sockets.start(call);
        if (attempt.result() == null) {
            pending.add(attempt);
        }
        return attempt;
    }

    @Override
    public boolean await(Pending p, long deadlineMicros) {
        long deadline = START_NANOS + deadlineMicros * 1000;
        while (p.result() == null) {
            if (!step(deadline)) {
                return p.result() != null;
            }
        }
        return true;
    }

    private void retryPending() {
        pending.removeIf(a -> a.retry() != null);
    }

    @Override
    public void close() {
        sockets.closeAll();
        stack.close();
    }

    /** The stack's link: what it sends goes to the runner's queue with the virtual time. */
    private final class CaptureLink implements Link {
        private PacketReceiver receiver;

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public ByteBufAllocator alloc() {
            return UnpooledByteBufAllocator.DEFAULT;
        }

        @Override
        public void send(int queue, ByteBuf packet) {
            try {
                byte[] copy = new byte[packet.readableBytes()];
                packet.getBytes(packet.readerIndex(), copy);
                sent.add(new Outbound(nowMicros(), copy));
            } finally {
                packet.release();
            }
        }

        @Override
        public void start(PacketReceiver receiver) {
            this.receiver = receiver;
        }

        /** One packet, one burst: as a TUN reader that found one packet ready. */
        void deliver(byte[] packet) {
            ByteBuf buf = Unpooled.wrappedBuffer(packet);
            try {
                receiver.receive(0, buf);
                receiver.endOfBurst(0);
            } finally {
                buf.release();
            }
        }

        @Override
        public void close() {
        }
    }

}
