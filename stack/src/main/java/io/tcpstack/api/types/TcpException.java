package io.tcpstack.api.types;

import java.io.IOException;

/** A connection failed: the {@link TcpError} says how (refused, reset, timed out...). */
public final class TcpException extends IOException {
    private final TcpError error;

    public TcpException(TcpError error) {
        super(error.message());
        this.error = error;
    }

    public TcpError error() {
        return error;
    }
}
