package io.tcpstack.it;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.Clock;
import io.tcpstack.tun.TunDevice;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A stack inside the test's own JVM on a real TUN device that lives in a {@link Netns}: the
 * device is opened here (root namespace) and moved into the namespace, so the test can drive the
 * stack's API and read its connection list and counters while kernel peers run in the namespace.
 */
final class TunStack implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();

    final TunDevice device;
    final TcpStack stack;

    private TunStack(TunDevice device, TcpStack stack) {
        this.device = device;
        this.stack = stack;
    }

    static TunStack create(Netns ns, int queues, Consumer<TcpSettings> knobs) throws IOException, InterruptedException {
        return create(ns, queues, false, knobs);
    }

    /** With {@code offload}: the device with its virtio-net header, checksum offload and TSO. */
    static TunStack create(Netns ns, int queues, boolean offload, Consumer<TcpSettings> knobs)
            throws IOException, InterruptedException {
        String name = "tst" + ProcessHandle.current().pid() % 100_000 + "q" + SEQ.incrementAndGet();
        TunDevice device = TunDevice.open(name, queues, offload);
        try {
            ns.adopt(name);
            TcpSettings settings = new TcpSettings();
            knobs.accept(settings);
            TcpStack stack = new TcpStack(StackConfig.builder().address(Netns.STACK_ADDR).build(), device,
                    Clock.system(), settings);
            stack.start();
            return new TunStack(device, stack);
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            device.close();
            throw e;
        }
    }

    @Override
    public void close() {
        stack.close();
    }
}
