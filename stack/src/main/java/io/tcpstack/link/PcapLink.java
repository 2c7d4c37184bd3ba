package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Link} decorator that records every packet, both directions, to the {@link
 * PcapWriter}s started on it, before passing it on (smoltcp's phy/pcap_writer.rs). Recordings
 * start and stop while packets flow (each under a name, such as its file); with none, a packet
 * costs one volatile read. Closing the link flushes and closes every file.
 */
public final class PcapLink extends ForwardingLink {
    private static final Logger log = LoggerFactory.getLogger(PcapLink.class);
    private static final PcapWriter[] NONE = new PcapWriter[0];

    private final Map<String, PcapWriter> recordings = new LinkedHashMap<>();
    private volatile PcapWriter[] writers = NONE;

    /** A link that records nothing until {@link #start} is called. */
    public PcapLink(Link link) {
        super(link);
    }

    /** A link that records everything to {@code pcap}, under the name "pcap". */
    public PcapLink(Link link, PcapWriter pcap) {
        this(link);
        start("pcap", pcap);
    }

    /** Starts recording to {@code writer}; IllegalStateException if {@code name} is recording already. */
    public synchronized void start(String name, PcapWriter writer) {
        if (recordings.putIfAbsent(name, writer) != null) {
            throw new IllegalStateException(name + " is being recorded already");
        }
        writers = recordings.values().toArray(NONE);
    }

    /** Stops recording {@code name} and closes its writer; returns the packets it recorded, or -1 if none was running. */
    public synchronized long stop(String name) throws IOException {
        PcapWriter writer = recordings.remove(name);
        if (writer == null) {
            return -1;
        }
        writers = recordings.values().toArray(NONE);
        writer.close();
        return writer.packets();
    }

    /** The running recordings: name -> packets so far. */
    public synchronized Map<String, Long> recordings() {
        Map<String, Long> snapshot = new LinkedHashMap<>();
        recordings.forEach((name, writer) -> snapshot.put(name, writer.packets()));
        return snapshot;
    }

    private void record(ByteBuf packet) {
        for (PcapWriter w : writers) {
            try {
                w.write(packet);
            } catch (UncheckedIOException e) {
                abandon(w, e);
            }
        }
    }

    /** A file that cannot be written (disk full) stops its recording, not the stack. */
    private synchronized void abandon(PcapWriter writer, UncheckedIOException failure) {
        recordings.entrySet().removeIf(e -> {
            if (e.getValue() == writer) {
                log.warn("pcap recording {} stopped: {}", e.getKey(), failure.getCause().toString());
                return true;
            }
            return false;
        });
        writers = recordings.values().toArray(NONE);
        try {
            writer.close();
        } catch (IOException e) {
            // already failing: the warning above says so
        }
    }

    @Override
    public void send(int queue, ByteBuf packet) {
        record(packet);
        link.send(queue, packet);
    }

    @Override
    protected boolean received(int queue, ByteBuf packet) {
        record(packet);
        return true;
    }

    @Override
    public void close() {
        link.close();
        IOException failure = null;
        synchronized (this) {
            for (String name : recordings.keySet().toArray(String[]::new)) {
                try {
                    stop(name);
                } catch (IOException e) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw new UncheckedIOException("closing a pcap file failed", failure);
        }
    }
}
