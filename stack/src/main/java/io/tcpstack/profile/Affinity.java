package io.tcpstack.profile;

import io.tcpstack.link.Steering;

/**
 * Which inbound segments of one connection may be processed at the same time (stack/BEHAVIOURS.md
 * 1). Every link queue has one reader thread that runs its packets to completion, as a NAPI poll
 * does; the affinity decides which queue a packet lands on ({@link #steering()}), and so what
 * runs concurrently.
 */
public enum Affinity {
    /**
     * No flow affinity, the default: Linux without RSS (loopback, veth), where a packet is
     * processed on the CPU that sent it. A packet without data arrives on the queue of the CPU
     * that sent it, so the peer's softirq ACK and its application's RST or FIN/ACK can be
     * processed at once on two queues (the FIN/ACK race); a segment with data arrives on its
     * flow's queue, so a bulk flow stays in order, as it nearly does on Linux
     * ({@link Steering#DATA_BY_FLOW} says why).
     */
    NONE("none", Steering.DATA_BY_FLOW),
    /** RSS: every segment of a 4-tuple arrives on one queue and is processed in arrival order. */
    FLOW("flow", Steering.FLOW),
    /**
     * A stress mode, never a default: packets are handed one by one, round-robin, to worker
     * threads (a copy and a thread hand-off each), so consecutive segments of one flow are
     * processed concurrently and out of order far more often than on any Linux host.
     */
    SPRAY("spray", Steering.SENDING_CPU);

    private final String knobValue;
    private final Steering steering;

    Affinity(String knobValue, Steering steering) {
        this.knobValue = knobValue;
        this.steering = steering;
    }

    public String knobValue() {
        return knobValue;
    }

    /** How the link picks the queue a packet arrives on in this mode. */
    public Steering steering() {
        return steering;
    }

    public static Affinity parse(String value) {
        for (Affinity a : values()) {
            if (a.knobValue.equals(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException("affinity must be none, flow or spray, got '" + value + "'");
    }
}
