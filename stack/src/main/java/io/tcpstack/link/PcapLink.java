package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A {@link Link} decorator that records every packet, both directions, to a {@link PcapWriter}
 * before passing it on (smoltcp's phy/pcap_writer.rs). Closing the link flushes and closes the
 * file.
 */
public final class PcapLink implements Link {
    private final Link link;
    private final PcapWriter pcap;

    public PcapLink(Link link, PcapWriter pcap) {
        this.link = link;
        this.pcap = pcap;
    }

    @Override
    public int queueCount() {
        return link.queueCount();
    }

    @Override
    public int mtu() {
        return link.mtu();
    }

    @Override
    public int maxSendPacket() {
        return link.maxSendPacket();
    }

    @Override
    public ByteBufAllocator alloc() {
        return link.alloc();
    }

    @Override
    public void send(int queue, ByteBuf packet) {
        pcap.write(packet);
        link.send(queue, packet);
    }

    @Override
    public void start(PacketReceiver receiver) {
        link.start(new PacketReceiver() {
            @Override
            public void receive(int queue, ByteBuf packet) {
                pcap.write(packet);
                receiver.receive(queue, packet);
            }

            @Override
            public void endOfBurst(int queue) {
                receiver.endOfBurst(queue);
            }
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
