package io.tcpstack.profile;

/** How inbound segments of one connection are spread over the worker threads (BEHAVIOURS.md 1). */
public enum Affinity {
    /**
     * No flow affinity (the reproduction mode, like loopback or RSS-less receive on Linux): any
     * idle worker takes the next packet, so two segments of one connection can be processed at
     * the same time, and outbound segments rotate over the TUN queues.
     */
    NONE("none"),
    /** RSS-like: every segment of a 4-tuple is processed by one worker, in arrival order. */
    FLOW("flow");

    private final String knobValue;

    Affinity(String knobValue) {
        this.knobValue = knobValue;
    }

    public String knobValue() {
        return knobValue;
    }

    public static Affinity parse(String value) {
        for (Affinity a : values()) {
            if (a.knobValue.equals(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException("affinity must be none or flow, got '" + value + "'");
    }
}
