package io.tcpstack.bench;

import io.netty.buffer.ByteBuf;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.wire.IpProtocol;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The TUN path alone: reads each IPv4 UDP packet from a queue and writes it back with addresses
 * and ports swapped (both checksums stay valid: the sums do not depend on the order of their
 * words). It uses the device as the stack does: a pooled direct buffer per outbound packet,
 * written by address. Stops on SIGTERM or after MAX_SECONDS and prints its counts as JSON, with
 * the rate it reflected at between its first and its last packet.
 *
 * <pre>TunReflector DEVICE MAX_SECONDS</pre>
 */
public final class TunReflector {
    private static long firstNanos;
    private static long lastNanos;
    private static long reflected;

    private TunReflector() {}

    public static void main(String[] args) throws Exception {
        long maxSeconds = Long.parseLong(args[1]);
        try (TunDevice tun = TunDevice.open(args[0], 1)) {
            tun.start((queue, packet) -> reflect(tun, queue, packet));
            CountDownLatch stop = new CountDownLatch(1);
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> stop.countDown());
            System.out.println("reflector ready: dev=" + tun.name() + " pid=" + ProcessHandle.current().pid());
            System.out.flush();
            stop.await(maxSeconds, TimeUnit.SECONDS);
            tun.close();
            double seconds = (lastNanos - firstNanos) / 1e9;
            System.out.println(String.format(Locale.ROOT,
                    "{\"rx_packets\":%d,\"tx_packets\":%d,\"tx_errors\":%d,\"seconds\":%.3f,\"pps\":%.0f}",
                    tun.rxPackets(), tun.txPackets(), tun.txErrors(), seconds, seconds > 0 ? reflected / seconds : 0));
        }
    }

    private static void reflect(TunDevice tun, int queue, ByteBuf in) {
        int start = in.readerIndex();
        int length = in.readableBytes();
        if (length < 28 || (in.getUnsignedByte(start) >>> 4) != 4 || in.getUnsignedByte(start + 9) != IpProtocol.UDP) {
            return;
        }
        int ihl = (in.getUnsignedByte(start) & 0x0f) * 4;
        ByteBuf out = tun.alloc().directBuffer(length);
        out.writeBytes(in, start, length);
        int source = out.getInt(12);
        out.setInt(12, out.getInt(16));
        out.setInt(16, source);
        int ports = out.getInt(ihl);
        out.setInt(ihl, (ports << 16) | (ports >>> 16));
        tun.send(queue, out);
        lastNanos = System.nanoTime();
        if (reflected++ == 0) {
            firstNanos = lastNanos;
        }
    }
}
