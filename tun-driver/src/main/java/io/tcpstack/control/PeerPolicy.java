package io.tcpstack.control;

import java.util.Set;
import java.util.function.IntFunction;

/**
 * Who may use the control socket: root, the daemon's own user, and members of the socket's
 * group (primary group from SO_PEERCRED, supplementary groups from /proc/PID/status). The
 * socket file's mode (0660) already keeps others out; this check holds even if the file's mode
 * or owner is changed.
 *
 * @param socketGid the socket's group
 * @param ownUid the daemon's effective user id
 * @param groupsOf supplementary groups of a pid
 */
public record PeerPolicy(int socketGid, int ownUid, IntFunction<Set<Integer>> groupsOf) {

    /** Null if {@code peer} may connect, else why not, in words. */
    public String refusal(Peer peer) {
        if (peer.uid() == 0 || peer.uid() == ownUid || peer.gid() == socketGid
                || groupsOf.apply(peer.pid()).contains(socketGid)) {
            return null;
        }
        return "uid " + peer.uid() + " is not root and not in the control socket's group (gid " + socketGid + ")";
    }
}
