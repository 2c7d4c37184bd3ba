package io.tcpstack.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol (sd_notify(3)): a datagram of NAME=VALUE lines to the socket
 * named by $NOTIFY_SOCKET (a path, or '@' for the abstract namespace). Outside a Type=notify
 * service the variable is unset and nothing is sent.
 */
public final class SdNotify {
    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);

    private SdNotify() {
    }

    /** Sends {@code state} ("READY=1", "STOPPING=1"...) if systemd asked for it; true if sent. */
    public static boolean send(String state) {
        String socket = System.getenv("NOTIFY_SOCKET");
        return socket != null && !socket.isEmpty() && send(socket, state);
    }

    static boolean send(String socket, String state) {
        String path = socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
        try (UnixDatagramChannel channel = UnixDatagramChannel.open()) {
            channel.send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), new UnixSocketAddress(path));
            return true;
        } catch (IOException e) {
            log.warn("sd_notify to {} failed: {}", socket, e.toString());
            return false;
        }
    }
}
