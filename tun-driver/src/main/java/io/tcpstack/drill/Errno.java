package io.tcpstack.drill;

import io.tcpstack.api.types.TcpError;

/** A socket call of a script failed with this errno (Linux's numbers, x86_64). */
final class Errno extends Exception {
    final int errno;

    Errno(int errno) {
        super(Syscalls.errnoName(errno), null, false, false);
        this.errno = errno;
    }

    /** The errno Linux reports for a connection that ended with {@code e}. */
    static int of(TcpError e) {
        return switch (e) {
            case CONNECTION_REFUSED -> 111;
            case CONNECTION_RESET -> 104;
            case TIMED_OUT -> 110;
            case ABORTED -> 103;
            case BROKEN_PIPE -> 32;
        };
    }
}
