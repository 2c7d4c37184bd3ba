package io.tcpstack.control;

/** Who is at the other end of a control connection, as SO_PEERCRED tells it. */
public record Peer(int pid, int uid, int gid) {
    public boolean isRoot() {
        return uid == 0;
    }

    @Override
    public String toString() {
        return "pid " + pid + " uid " + uid + " gid " + gid;
    }
}
