package io.tcpstack.api;

import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.wire.IpAddress;
import java.util.Objects;

/**
 * The stack's configuration: its own addresses (one IPv4, one IPv6, or both: a dual-stack host)
 * and the knobs. Immutable; built with {@link #builder()}.
 */
public final class StackConfig {
    private final IpAddress address4;
    private final IpAddress address6;
    private final int defaultTtl;
    private final InboundQueues.Mode inboundMode;
    private final Long seed;

    private StackConfig(Builder b) {
        this.address4 = b.address4;
        this.address6 = b.address6;
        this.defaultTtl = b.defaultTtl;
        this.inboundMode = b.inboundMode;
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
    public InboundQueues.Mode inboundMode() {
        return inboundMode;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The stack's IPv4 address, as a big-endian int; 0 when it has none. */
    public int address() {
        return address4 == null ? 0 : address4.v4();
    }

    /** The stack's IPv4 address (IPv4-mapped), or null. */
    public IpAddress address4() {
        return address4;
    }

    /** The stack's IPv6 address, or null. */
    public IpAddress address6() {
        return address6;
    }

    /** The stack's addresses: its IPv4 one, its IPv6 one, or both. */
    public java.util.List<IpAddress> addresses() {
        return java.util.stream.Stream.of(address4, address6).filter(java.util.Objects::nonNull).toList();
    }

    /** TTL of IPv4 packets and hop limit of IPv6 ones the stack originates (Linux ip_default_ttl, hop_limit = 64). */
    public int defaultTtl() {
        return defaultTtl;
    }

    public static final class Builder {
        private IpAddress address4;
        private IpAddress address6;
        private int defaultTtl = 64;
        private InboundQueues.Mode inboundMode;
        private Long seed;

        /** See {@link StackConfig#seed()}. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder inboundMode(InboundQueues.Mode mode) {
            this.inboundMode = mode;
            return this;
        }

        /** An address of either family ("198.18.0.2", "2001:2::2"); one of each at most. */
        public Builder address(String address) {
            return address(IpAddress.parse(Objects.requireNonNull(address)));
        }

        public Builder address(int address) {
            return address(IpAddress.v4(address));
        }

        public Builder address(IpAddress address) {
            if (address.isUnspecified() || address.isLoopback() || (!address.isV4() && IpAddress.isMulticast(address.hi()))
                    || (address.isV4() && (address.v4() == 0 || (address.v4() >>> 28) >= 0xe))) {
                throw new IllegalArgumentException(address + " cannot be a host's address");
            }
            if (address.isV4()) {
                if (address4 != null && !address4.equals(address)) {
                    throw new IllegalArgumentException("one IPv4 address only: " + address4 + " and " + address);
                }
                address4 = address;
            } else {
                if (address6 != null && !address6.equals(address)) {
                    throw new IllegalArgumentException("one IPv6 address only: " + address6 + " and " + address);
                }
                address6 = address;
            }
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
            if (address4 == null && address6 == null) {
                throw new IllegalArgumentException("address must be set");
            }
            return new StackConfig(this);
        }
    }
}
