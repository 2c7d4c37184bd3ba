package io.tcpstack.daemon.services;

import io.tcpstack.api.types.Connection;
import java.io.IOException;

/** Bytes a session has and the connection has not taken yet: {@code data[start..end)}. */
final class Outbox {
    byte[] data = new byte[0];
    private int start;
    private int end;

    /** From now on holds {@code data[0..length)}. */
    void set(byte[] data, int length) {
        this.data = data;
        this.start = 0;
        this.end = length;
    }

    /** Queues what the send buffer takes; true when nothing is left. */
    boolean drain(Connection c) throws IOException {
        if (start < end) {
            start += c.writeNow(data, start, end - start);
        }
        return start == end;
    }
}
