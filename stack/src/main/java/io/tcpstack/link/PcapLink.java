package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A {@link Link} decorator that records every packet, both directions, to a {@link PcapWriter}
 * before passing it on (smoltcp's phy/pcap_writer.rs). Closing the link flushes and closes the
 * file.
 */
public final class PcapLink extends ForwardingLink {
    private final PcapWriter pcap;

    public PcapLink(Link link, PcapWriter pcap) {
        super(link);
        this.pcap = pcap;
    }

    @Override
    public void send(int queue, ByteBuf packet) {
        pcap.write(packet);
        link.send(queue, packet);
    }

    @Override
    public void start(PacketReceiver receiver) {
        link.start((queue, packet) -> {
            pcap.write(packet);
            receiver.receive(queue, packet);
        });
    }

    @Override
    public void close() {
        link.close();
        try {
            pcap.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing the pcap file failed", e);
        }
    }
}
