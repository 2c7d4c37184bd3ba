package io.tcpstack.api;

import io.tcpstack.dispatch.Dispatcher;
import io.tcpstack.wire.Ipv4Address;
import java.util.Objects;

/**
 * The stack's configuration: its own address and the knobs. Immutable; built with {@link
 * #builder()}.
 */
public final class StackConfig {
    private final int address;
    private final int defaultTtl;
    private final Dispatcher.Mode dispatchMode;
    private final Long seed;

    private StackConfig(Builder b) {
        this.address = b.address;
        this.defaultTtl = b.defaultTtl;
        this.dispatchMode = b.dispatchMode;
        this.seed = b.seed;
    }

    /**
     * The seed of every random choice the stack makes (ISN and port-selection secrets, timestamp
     * offsets, IP IDs), or null for fresh randomness: with the same seed and the same inputs on
     * virtual time, a run repeats byte for byte.
     */
    public Long seed() {
        return seed;
    }

    /** How inbound packets reach the workers; null: threads on a real clock, inline on virtual time. */
    public Dispatcher.Mode dispatchMode() {
        return dispatchMode;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The stack's IPv4 address, as a big-endian int. */
    public int address() {
        return address;
    }

    /** TTL of packets the stack originates (Linux net.ipv4.ip_default_ttl = 64). */
    public int defaultTtl() {
        return defaultTtl;
    }

    public static final class Builder {
        private int address;
        private int defaultTtl = 64;
        private Dispatcher.Mode dispatchMode;
        private Long seed;

        /** See {@link StackConfig#seed()}. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder dispatchMode(Dispatcher.Mode mode) {
            this.dispatchMode = mode;
            return this;
        }

        public Builder address(String dotted) {
            this.address = Ipv4Address.parse(Objects.requireNonNull(dotted));
            return this;
        }

        public Builder address(int address) {
            this.address = address;
            return this;
        }

        public Builder defaultTtl(int ttl) {
            if (ttl < 1 || ttl > 255) {
                throw new IllegalArgumentException("ttl must be 1..255, got " + ttl);
            }
            this.defaultTtl = ttl;
            return this;
        }

        public StackConfig build() {
            if (address == 0) {
                throw new IllegalArgumentException("address must be set");
            }
            return new StackConfig(this);
        }
    }
}
