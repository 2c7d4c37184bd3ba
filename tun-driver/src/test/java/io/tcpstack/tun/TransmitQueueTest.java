package io.tcpstack.tun;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import jnr.ffi.Runtime;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transmit path's batching on a pipe instead of a TUN queue (a pipe keeps what each write(2)
 * wrote, in order): packets leave in the order they were queued, each exactly once, one
 * io_uring_enter per batch, from several threads at once; and the same without io_uring.
 */
class TransmitQueueTest {
    private static final LibC LIBC = LibC.INSTANCE;
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    /** Records are 8 bytes: a sender number and a sequence number (ints). */
    private static final int RECORD = 8;

    private final int[] pipe = new int[2];
    private final LongAdder packets = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final List<ByteBuf> sent = new ArrayList<>();

    @BeforeEach
    void openPipe() {
        assertThat(POSIXFactory.getNativePOSIX().pipe(pipe)).isZero();
    }

    @AfterEach
    void closePipe() {
        LIBC.close(pipe[0]);
        LIBC.close(pipe[1]);
    }

    private static IoUring ring() throws Exception {
        return IoUring.open(TransmitQueue.BATCH, LIBC, RUNTIME);
    }

    private ByteBuf record(int sender, int seq) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(RECORD);
        b.writeInt(sender).writeInt(seq);
        synchronized (sent) {
            sent.add(b);
        }
        return b;
    }

    /** What the pipe holds: {@code count} records. */
    private ByteBuf drain(int count) {
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer(count * RECORD);
        while (in.writerIndex() < count * RECORD) {
            long n = LIBC.read(pipe[0], in.memoryAddress() + in.writerIndex(), count * RECORD - in.writerIndex());
            assertThat(n).as("read from the pipe").isPositive();
            in.writerIndex(in.writerIndex() + (int) n);
        }
        return in;
    }

    /** The pipe holds sender {@code sender}'s records 0 .. count-1, in order, and nothing before them. */
    private void assertPipeHolds(int sender, int count) {
        ByteBuf in = drain(count);
        for (int seq = 0; seq < count; seq++) {
            assertThat(in.readInt()).isEqualTo(sender);
            assertThat(in.readInt()).as("record %d", seq).isEqualTo(seq);
        }
        in.release();
    }

    @Test
    void aReaderBurstLeavesInOrderOneSubmissionPerBatch() throws Exception {
        TransmitQueue tx = new TransmitQueue(1500, LIBC, ring(), packets, errors, batches);
        for (int seq = 0; seq < 150; seq++) {
            int queued = tx.add(record(1, seq), pipe[1]);
            if (queued >= tx.batchSize()) {
                tx.flush(); // as TunDevice.send does for a reader: a full batch goes at once
            }
        }
        assertThat(tx.hasPending()).as("150 - 2 full batches wait for the end of the burst").isTrue();
        tx.flush();
        assertThat(tx.hasPending()).isFalse();

        assertPipeHolds(1, 150);
        assertThat(packets.sum()).isEqualTo(150);
        assertThat(errors.sum()).isZero();
        assertThat(batches.sum()).as("64 + 64 + 22: three io_uring_enter calls").isEqualTo(3);
        assertThat(sent).allSatisfy(b -> assertThat(b.refCnt()).as("released once copied to a slot").isZero());
        tx.close();
    }

    @Test
    void concurrentSendersEachKeepTheirOrderAndNothingIsLostOrWrittenTwice() throws Exception {
        TransmitQueue tx = new TransmitQueue(1500, LIBC, ring(), packets, errors, batches);
        int senders = 4;
        int each = 1000; // 32 KB in all: fits the pipe, so no write waits for the reader
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            int sender = s;
            threads.add(new Thread(() -> {
                for (int seq = 0; seq < each; seq++) {
                    tx.add(record(sender, seq), pipe[1]);
                    if (seq % (sender + 1) == 0) {
                        tx.flush(); // some flush at once (application threads), some in bursts (readers)
                    }
                }
                tx.flush();
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
            assertThat(t.isAlive()).isFalse();
        }

        ByteBuf in = drain(senders * each);
        int[] next = new int[senders];
        while (in.isReadable()) {
            int sender = in.readInt();
            assertThat(in.readInt()).as("sender %d's next record", sender).isEqualTo(next[sender]++);
        }
        in.release();
        assertThat(next).containsOnly(each);
        assertThat(packets.sum()).isEqualTo(senders * each);
        assertThat(errors.sum()).isZero();
        assertThat(tx.hasPending()).isFalse();
        assertThat(sent).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        tx.close();
    }

    @Test
    void withoutIoUringEachPacketIsOneWrite() {
        TransmitQueue tx = new TransmitQueue(1500, LIBC, null, packets, errors, batches);
        assertThat(tx.batchSize()).isEqualTo(1);
        for (int seq = 0; seq < 10; seq++) {
            tx.add(record(2, seq), pipe[1]);
            tx.flush();
        }
        assertPipeHolds(2, 10);
        assertThat(packets.sum()).isEqualTo(10);
        assertThat(batches.sum()).isZero();
        tx.close();
    }

    @Test
    void aRefusedWriteIsCountedAndItsBufferReleased() throws Exception {
        TransmitQueue tx = new TransmitQueue(1500, LIBC, ring(), packets, errors, batches);
        tx.add(record(3, 0), pipe[1]);
        tx.add(record(3, 1), -1); // EBADF in its completion
        tx.add(record(3, 2), pipe[1]);
        tx.flush();
        ByteBuf in = drain(2);
        assertThat(in.getInt(4)).isZero();
        assertThat(in.getInt(12)).isEqualTo(2);
        in.release();
        assertThat(packets.sum()).isEqualTo(2);
        assertThat(errors.sum()).isEqualTo(1);
        assertThat(sent).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        tx.close();
    }

    @Test
    void aFullQueueIsWrittenBeforeTheNextPacketAndALongPacketIsRefused() {
        TransmitQueue tx = new TransmitQueue(1 << 20, LIBC, null, packets, errors, batches);
        for (int seq = 0; seq < 20; seq++) {
            tx.add(record(5, seq), pipe[1]); // never flushed by the caller: its 4 slots of 1 MiB fill up
        }
        assertThat(tx.add(PooledByteBufAllocator.DEFAULT.directBuffer((1 << 20) + 1).writeZero((1 << 20) + 1), pipe[1]))
                .as("a packet longer than a slot").isZero();
        tx.flush();
        assertPipeHolds(5, 20);
        assertThat(packets.sum()).isEqualTo(20);
        assertThat(errors.sum()).isEqualTo(1);
        tx.close();
    }

    @Test
    void closingDropsWhatWaitsAndWhatComesAfterAndCountsThem() throws Exception {
        TransmitQueue tx = new TransmitQueue(1500, LIBC, ring(), packets, errors, batches);
        tx.add(record(4, 0), pipe[1]);
        tx.add(record(4, 1), pipe[1]);
        tx.close();
        assertThat(errors.sum()).isEqualTo(2);
        assertThat(tx.add(record(4, 2), pipe[1])).as("a packet after close").isZero();
        tx.flush();
        tx.close();
        assertThat(errors.sum()).isEqualTo(3);
        assertThat(packets.sum()).isZero();
        assertThat(tx.hasPending()).isFalse();
        assertThat(sent).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }
}
