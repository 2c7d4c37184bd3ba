package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Writes packets to a classic pcap file (microsecond timestamps, LINKTYPE_RAW: every record is a
 * bare IPv4 packet), readable by tcpdump -r, tshark -r and Wireshark. Thread-safe; buffered, and
 * flushed at least once a second while packets flow, and on {@link #close()}.
 */
public final class PcapWriter implements AutoCloseable {
    /** pcap magic for microsecond timestamps; written in our byte order, readers detect it. */
    static final int MAGIC_MICROS = 0xa1b2c3d4;
    /** tcpdump.org link-layer header types: raw IPv4/IPv6, no link header. */
    static final int LINKTYPE_RAW = 101;
    static final int SNAPLEN = 65535;
    private static final long FLUSH_INTERVAL_MICROS = 1_000_000;

    private final OutputStream out;
    private final LongSupplier epochMicros;
    private final ByteBuffer recordHeader = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] copy = new byte[SNAPLEN];
    private long lastFlushMicros;
    private long packets;
    private boolean closed;

    /** Writes to {@code out}, stamping each packet with {@code epochMicros}. */
    public PcapWriter(OutputStream out, LongSupplier epochMicros) throws IOException {
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.epochMicros = epochMicros;
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(SNAPLEN)
                .putInt(LINKTYPE_RAW);
        this.out.write(header.array());
        this.out.flush();
        this.lastFlushMicros = epochMicros.getAsLong();
    }

    /**
     * Opens {@code file} with {@code options} (none: create or truncate, like {@link
     * Files#newOutputStream}) and writes with wall-clock timestamps.
     */
    public static PcapWriter create(Path file, OpenOption... options) throws IOException {
        return new PcapWriter(Files.newOutputStream(file, options), PcapWriter::wallClockMicros);
    }

    private static long wallClockMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** Records the readable bytes of {@code packet} without moving its indexes. */
    public synchronized void write(ByteBuf packet) {
        if (closed) {
            return;
        }
        long now = epochMicros.getAsLong();
        int length = packet.readableBytes();
        int captured = Math.min(length, SNAPLEN);
        recordHeader.clear();
        recordHeader.putInt((int) (now / 1_000_000)).putInt((int) (now % 1_000_000)).putInt(captured).putInt(length);
        packet.getBytes(packet.readerIndex(), copy, 0, captured);
        try {
            out.write(recordHeader.array());
            out.write(copy, 0, captured);
            packets++;
            if (now - lastFlushMicros >= FLUSH_INTERVAL_MICROS) {
                out.flush();
                lastFlushMicros = now;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("pcap write failed", e);
        }
    }

    /** Packets recorded so far. */
    public synchronized long packets() {
        return packets;
    }

    public synchronized void flush() throws IOException {
        if (!closed) {
            out.flush();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }
}
