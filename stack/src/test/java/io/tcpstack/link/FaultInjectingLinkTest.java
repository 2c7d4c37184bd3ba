package io.tcpstack.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.testing.Seg;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultInjectingLinkTest {

    private static ByteBuf packet(String flags) {
        return Seg.from(40000, 80).flags(flags).seq(1).ack(flags.contains(".") ? 1 : 0).build()
                .emit(UnpooledByteBufAllocator.DEFAULT);
    }

    @Test
    void parsesRules() {
        assertThat(FaultInjectingLink.Rule.parse("out:RA/10"))
                .isEqualTo(new FaultInjectingLink.Rule(true, TcpView.RST | TcpView.ACK, 10));
        assertThat(FaultInjectingLink.Rule.parse("in:S")).isEqualTo(new FaultInjectingLink.Rule(false, TcpView.SYN, 1));
        assertThatThrownBy(() -> FaultInjectingLink.Rule.parse("out:RX")).hasMessageContaining("flag 'X'");
        assertThatThrownBy(() -> FaultInjectingLink.Rule.parse("out:R/0")).hasMessageContaining(">= 1");
        assertThatThrownBy(() -> FaultInjectingLink.Rule.parse("RA")).hasMessageContaining("in|out");
        assertThatThrownBy(() -> FaultInjectingLink.Rule.parse("out:/3")).hasMessageContaining("no flags");
    }

    @Test
    void dropsEveryNthExactMatchOutboundAndTracesIt() {
        CaptureLink device = new CaptureLink(1, 1500);
        Tracer tracer = new Tracer();
        List<TraceEvent> events = new ArrayList<>();
        tracer.setListener(events::add);
        FaultInjectingLink link = new FaultInjectingLink(device, FaultInjectingLink.Rule.parse("out:RA/2"), tracer,
                new VirtualClock(0));
        for (int i = 0; i < 4; i++) {
            link.send(0, (packet("R.")));
            link.send(0, (packet("R"))); // not an exact match: RST without ACK
        }
        assertThat(link.dropped()).isEqualTo(2);
        assertThat(device.pending()).isEqualTo(6);
        // the rule as written (out:RA/2), the connection and the segment: a ladder marks that one lost
        assertThat(events).hasSize(2).allMatch(e -> e.text().startsWith("fault injector (out:RA/2) dropped sent R. seq=")
                && e.connection().equals("198.18.0.1:40000 198.18.0.2:80") && "IMPAIRMENT".equals(e.rule()));
    }

    @Test
    void dropsInboundMatchesBeforeTheStackSeesThem() {
        CaptureLink device = new CaptureLink(1, 1500);
        FaultInjectingLink link = new FaultInjectingLink(device, FaultInjectingLink.Rule.parse("in:S"), new Tracer(),
                new VirtualClock(0));
        List<Integer> seen = new ArrayList<>();
        link.start((queue, packet) -> seen.add(packet.readableBytes()));
        device.inject(0, (packet("S")));
        device.inject(0, (packet(".")));
        device.inject(0, Unpooled.wrappedBuffer(new byte[] {0x45, 0})); // too short to be TCP: passes
        assertThat(seen).hasSize(2);
        assertThat(link.dropped()).isEqualTo(1);
    }
}
