package io.tcpstack.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.link.SendingContext;
import io.tcpstack.profile.Affinity;
import io.tcpstack.stats.StackStats;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Where the dispatcher runs each packet: on the reader of its queue, or with spray on a worker. */
class InboundQueuesTest {
    /** What the IP layer saw: the queue, the thread, the sending context, the packet's first byte. */
    private record Seen(int queue, String thread, int context, int first) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private Affinity affinity = Affinity.NONE;

    private InboundQueues dispatcher(InboundQueues.Mode mode, int queues) {
        InboundQueues d = new InboundQueues((queue, packet) -> seen.add(new Seen(queue, Thread.currentThread().getName(),
                SendingContext.queue(), packet.getUnsignedByte(packet.readerIndex()))), mode, queues, () -> affinity,
                UnpooledByteBufAllocator.DEFAULT, new StackStats());
        d.start();
        return d;
    }

    private static ByteBuf packet(int first) {
        return Unpooled.wrappedBuffer(new byte[] {(byte) first, 0, 0, 0});
    }

    @Test
    void threadedRunsEachPacketOnTheReaderOfItsQueueAndSendsFromThatQueue() {
        try (InboundQueues d = dispatcher(InboundQueues.Mode.THREADED, 2)) {
            d.receive(1, packet(7));
            d.receive(0, packet(8));
            String reader = Thread.currentThread().getName();
            assertThat(seen).containsExactly(new Seen(1, reader, 1, 7), new Seen(0, reader, 0, 8));
            assertThat(d.received(0)).isEqualTo(1);
            assertThat(d.received(1)).isEqualTo(1);
        }
    }

    @Test
    void steppedHoldsPacketsPerArrivalQueueWhateverTheFlowAndSprayTakesTurns() {
        try (InboundQueues d = dispatcher(InboundQueues.Mode.STEPPED, 2)) {
            for (Affinity a : List.of(Affinity.NONE, Affinity.FLOW)) {
                affinity = a;
                assertThat(d.enqueue(1, packet(1))).as("%s", a).isEqualTo(1);
                assertThat(d.enqueue(0, packet(2))).as("%s", a).isEqualTo(0);
            }
            affinity = Affinity.SPRAY;
            assertThat(List.of(d.enqueue(0, packet(3)), d.enqueue(0, packet(4)), d.enqueue(0, packet(5))))
                    .containsExactly(0, 1, 0);
            assertThat(seen).isEmpty();
            assertThat(d.step(1)).isTrue();
            assertThat(seen).containsExactly(new Seen(1, Thread.currentThread().getName(), 1, 1));
            d.drain();
            assertThat(seen).hasSize(7);
            assertThat(d.received(0) + d.received(1)).isEqualTo(7);
        }
    }

    @Test
    void sprayHandsPacketsToWorkerThreadsStartedOnFirstUse() throws InterruptedException {
        try (InboundQueues d = dispatcher(InboundQueues.Mode.THREADED, 2)) {
            d.receive(0, packet(1));
            affinity = Affinity.SPRAY;
            for (int i = 2; i < 6; i++) {
                d.receive(0, packet(i));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.size() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(seen).hasSize(5);
            assertThat(seen.get(0).thread()).isEqualTo(Thread.currentThread().getName());
            assertThat(seen.subList(1, 5)).extracting(Seen::thread)
                    .containsOnly("tcpstack-worker-0", "tcpstack-worker-1");
            assertThat(seen.subList(1, 5)).allMatch(s -> s.context() == s.thread().charAt(s.thread().length() - 1) - '0');
        }
    }
}
