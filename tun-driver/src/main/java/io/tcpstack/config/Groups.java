package io.tcpstack.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/** Group lookups for the control socket: names to ids, and the groups a process is in. */
public final class Groups {
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();

    private Groups() {
    }

    /** The id of group {@code nameOrNumber} (a number is taken as it is, like chgrp does). */
    public static int gid(String nameOrNumber) {
        if (nameOrNumber.chars().allMatch(Character::isDigit) && !nameOrNumber.isEmpty()) {
            try {
                return Integer.parseInt(nameOrNumber);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("group id " + nameOrNumber + " is out of range");
            }
        }
        jnr.posix.Group group = POSIX.getgrnam(nameOrNumber);
        if (group == null) {
            throw new IllegalArgumentException("no group named '" + nameOrNumber + "' on this system");
        }
        return (int) group.getGID();
    }

    /** The effective group id of this process. */
    public static int ownGid() {
        return POSIX.getegid();
    }

    /** The effective user id of this process. */
    public static int ownUid() {
        return POSIX.geteuid();
    }

    /**
     * The supplementary groups of process {@code pid}, from the "Groups:" line of
     * /proc/PID/status (SO_PEERCRED gives only the primary group); empty if the process is gone.
     */
    public static Set<Integer> supplementary(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("Groups:")) {
                    String list = line.substring("Groups:".length()).trim();
                    return list.isEmpty() ? Set.of()
                            : Arrays.stream(list.split("\\s+")).map(Integer::valueOf).collect(Collectors.toSet());
                }
            }
        } catch (IOException e) {
            // the process exited: it has no groups left to grant anything
        }
        return Set.of();
    }
}
