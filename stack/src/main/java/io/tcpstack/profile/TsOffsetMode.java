package io.tcpstack.profile;

/** How the timestamp clock is offset (RFC 7323 5.4). */
public enum TsOffsetMode {
    /** Linux >= 4.10: a random offset per connection (keyed hash of the 4-tuple). */
    PER_CONNECTION,
    /** Linux 4.11-era "per-host" offsets (keyed hash of the addresses only). */
    PER_HOST,
    /** Linux < 4.10: the host's raw millisecond clock. */
    NONE
}
