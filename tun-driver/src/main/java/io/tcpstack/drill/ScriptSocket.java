package io.tcpstack.drill;

import io.tcpstack.drill.Script.Option;
import io.tcpstack.drill.Script.Packet;
import java.util.HashMap;
import java.util.Map;

/**
 * The script's connection as the {@link Runner} maps it between script and live values
 * (packetdrill's struct socket, run_packet.c): the ports, the local ISN offset learned from the
 * first outbound SYN or SYN-ACK, and the TS vals the target sent, for the ecr of inbound packets.
 */
final class ScriptSocket {
    int localPort = Runner.SCRIPT_PORT;
    int remotePort = Runner.REMOTE_PORT;
    private boolean localPortKnown;
    private Long liveLocalIsn;
    private long scriptLocalIsn;
    private final Map<Long, Long> tsValMap = new HashMap<>();
    private Long firstScriptTs;
    private long firstLiveTs;

    /** A connect() call: the peer is the script's port, and the local port is learned from the SYN. */
    void connecting() {
        remotePort = Runner.SCRIPT_PORT;
        localPortKnown = false;
    }

    /** Live local sequence numbers minus the script's: 0 until the first SYN or SYN-ACK. */
    long localOffset() {
        return liveLocalIsn == null ? 0 : liveLocalIsn - scriptLocalIsn;
    }

    /** run_packet.c: an inbound TS ecr names an outbound TS val; else it is interpolated from the first one. */
    long liveEcr(long scriptEcr) {
        Long exact = tsValMap.get(scriptEcr);
        if (exact != null) {
            return exact;
        }
        if (firstScriptTs != null) {
            return (scriptEcr - firstScriptTs + firstLiveTs) & 0xffffffffL;
        }
        return scriptEcr;
    }

    /** An outbound SYN or SYN-ACK with a new ISN starts the mapping of local sequence numbers. */
    void learnLocal(Wire.Parsed live, Packet p) {
        if (liveLocalIsn == null || liveLocalIsn != live.seq()) {
            liveLocalIsn = live.seq();
            scriptLocalIsn = p.seq();
        }
        if (!localPortKnown) {
            localPort = live.srcPort();
            localPortKnown = true;
        }
    }

    /** Remembers an outbound TS val (script and live) for the inbound TS ecr that echoes it. */
    void recordTs(Packet p, Wire.Parsed live) {
        if (p.options() == null) {
            return;
        }
        Option script = p.options().stream().filter(o -> o.kind().equals("TS")).findFirst().orElse(null);
        Option actual = live.options().stream().filter(o -> o.kind().equals("TS")).findFirst().orElse(null);
        if (script == null || actual == null) {
            return;
        }
        tsValMap.put(script.a(), actual.a());
        if (firstScriptTs == null) {
            firstScriptTs = script.a();
            firstLiveTs = actual.a();
        }
    }
}
