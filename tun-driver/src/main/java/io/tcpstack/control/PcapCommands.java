package io.tcpstack.control;

import io.tcpstack.config.Config;
import io.tcpstack.daemon.TunHost;
import io.tcpstack.link.PcapLink;
import io.tcpstack.link.PcapWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pcap}: packet recordings of the stack's link to pcap files (as tcpdump -w), started and
 * stopped while the daemon runs; who may write where.
 */
final class PcapCommands {
    /** Logs as the control commands. */
    private static final Logger log = LoggerFactory.getLogger(ControlCommands.class);

    private final PcapLink recorder;
    private final Config config;

    /** @param config the configuration the daemon started with (its pcap directory) */
    PcapCommands(PcapLink recorder, Config config) {
        this.recorder = recorder;
        this.config = config;
    }

    /** {@code pcap [start FILE | stop [FILE]]}: start or stop a recording, or list them. */
    List<String> pcap(Peer peer, List<String> args) {
        String what = args.isEmpty() ? "" : args.get(0);
        try {
            switch (what) {
                case "" -> {
                    List<String> lines = new ArrayList<>();
                    recorder.recordings().forEach((file, packets) -> lines.add(file + " " + packets + " packets"));
                    return lines;
                }
                case "start" -> {
                    Path file = Path.of(ControlCommands.only(args.subList(1, args.size()), "FILE"));
                    String name = file.normalize().toString();
                    if (recorder.recordings().containsKey(name)) {
                        throw new IllegalArgumentException(name + " is being recorded already");
                    }
                    PcapWriter writer = openPcap(peer, file);
                    try {
                        recorder.start(name, writer);
                    } catch (IllegalStateException e) {
                        writer.close(); // started by another client in the meantime
                        throw e;
                    }
                    log.info("control: {} started recording packets to {}", peer, name);
                    return List.of("recording to " + name);
                }
                case "stop" -> {
                    List<String> files = args.size() > 1 ? List.of(ControlCommands.only(args.subList(1, args.size()), "FILE"))
                            : List.copyOf(recorder.recordings().keySet());
                    List<String> lines = new ArrayList<>();
                    for (String file : files) {
                        long packets = recorder.stop(Path.of(file).toAbsolutePath().normalize().toString());
                        if (packets < 0) {
                            throw new IllegalArgumentException(file + " is not being recorded");
                        }
                        log.info("control: {} stopped recording {} ({} packets)", peer, file, packets);
                        lines.add("stopped " + file + " after " + packets + " packets");
                    }
                    return lines;
                }
                default -> throw new IllegalArgumentException("pcap takes start FILE, stop [FILE], or nothing to list");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The pcap file a peer asked for. Root may name any absolute path. The daemon writes as root,
     * so for anyone else it only creates a new file (never following a link) in the pcap
     * directory, and gives it to the asker.
     */
    private PcapWriter openPcap(Peer peer, Path requested) throws IOException {
        if (!requested.isAbsolute()) {
            throw new IllegalArgumentException("pcap FILE must be an absolute path, got '" + requested + "'");
        }
        Path file = requested.normalize();
        if (peer.isRoot()) {
            return TunHost.createPcap(file);
        }
        Path dir = config.pcapDir();
        if (!dir.equals(file.getParent())) {
            throw new IllegalArgumentException("users other than root may record only to files in " + dir
                    + " (the pcap-dir knob)");
        }
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        PcapWriter writer = TunHost.createPcap(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        Files.setAttribute(file, "unix:uid", peer.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(file, "unix:gid", peer.gid(), LinkOption.NOFOLLOW_LINKS);
        return writer;
    }
}
