package io.tcpstack.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tcpstack nc}: netcat through the daemon. {@code nc ADDR PORT} opens a connection from
 * the stack, {@code nc -l PORT} accepts one on the stack; either way stdin goes to the peer and
 * what the peer sends goes to stdout. End of stdin sends a FIN (like nc -N), or an RST with
 * {@code --linger 0}; the peer's FIN ends the command, unless {@code --half-close} keeps the
 * stack's side open until stdin ends. {@code -o} sets what the connection's SYN offers and its
 * socket options.
 */
@Command(name = "nc", mixinStandardHelpOptions = true,
        description = {"Netcat through a running daemon: a TCP connection of the stack, piped to stdin and stdout.",
                "  tcpstack nc 198.18.0.1 8080      connect from the stack to a kernel server",
                "  tcpstack nc -l 8080              accept one connection on the stack (curl http://198.18.0.2:8080/)",
                "  tcpstack nc -o ts=0,sack=0,ws=0 198.18.0.1 8080   a SYN that offers only the MSS",
                "End of stdin sends a FIN (like nc -N); the command ends when the peer closes (with --half-close,"
                        + " when stdin ends too)."})
final class NcCommand implements Callable<Integer> {
    private static final int CHUNK = 16 * 1024;

    @Mixin
    ControlTarget target;

    @Spec
    CommandSpec spec;

    @Option(names = "-l", description = "listen on the stack for one connection instead of connecting")
    boolean listen;

    @Option(names = "-p", paramLabel = "PORT", description = "local port of the connection (default: an ephemeral one)")
    int localPort;

    @Option(names = "-w", paramLabel = "SECONDS", description = "give up connecting, or waiting for a peer, after this")
    int waitSeconds;

    @Option(names = "-v", description = "say on stderr what was connected, and how long the handshake took on the"
            + " stack's clock (from its SYN to the SYN-ACK, or its SYN-ACK to the ACK)")
    boolean verbose;

    @Option(names = "--half-close", description = "after the peer's FIN keep the connection (CLOSE_WAIT: the peer"
            + " stays in FIN_WAIT_2) and keep sending stdin; the FIN goes when stdin ends")
    boolean halfClose;

    @Option(names = "--linger", paramLabel = "0", description = "0: end with an RST instead of a FIN (SO_LINGER 0)")
    Integer linger;

    @Option(names = "-o", paramLabel = "OPTIONS", split = ",", description = "per-connection options: ts=0|1,"
            + " sack=0|1, ws=0|1 (what the SYN offers), mss=N (TCP_MAXSEG), nodelay=0|1 (TCP_NODELAY)")
    List<String> options = List.of();

    @Parameters(paramLabel = "ADDR PORT | PORT", arity = "1..2")
    List<String> where;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (waitSeconds < 0 || localPort < 0 || localPort > 65535) {
            throw new IllegalArgumentException("-w must be >= 0 and -p 0..65535");
        }
        if (linger != null && linger != 0) {
            throw new IllegalArgumentException("--linger takes 0 (close with RST); other linger times are not supported");
        }
        List<String> connectionOptions = new ArrayList<>(options);
        if (linger != null) {
            connectionOptions.add("linger=0");
        }
        if (connectionOptions.stream().anyMatch(o -> !o.contains("="))) {
            throw new IllegalArgumentException("-o takes NAME=VALUE,... (ts=0,sack=0,ws=0,mss=536,nodelay=1), got "
                    + String.join(",", options));
        }
        String request;
        if (listen) {
            if (where.size() != 1 || localPort != 0) {
                throw new IllegalArgumentException("nc -l takes one PORT (and no -p)");
            }
            request = "listen " + where.get(0) + " " + waitSeconds * 1000L;
        } else {
            if (where.size() != 2) {
                throw new IllegalArgumentException("nc takes ADDR PORT (or -l PORT)");
            }
            request = "connect " + where.get(0) + " " + where.get(1) + " " + localPort + " " + waitSeconds * 1000L;
        }
        if (!connectionOptions.isEmpty()) {
            request += " " + String.join(" ", connectionOptions);
        }
        try (ControlClient client = ControlClient.connect(target.socket())) {
            client.send(request);
            String status = client.status();
            if (status.startsWith("listening ")) {
                say(err, status);
                status = client.status();
            }
            if (!status.startsWith("relay ")) {
                throw new IOException("unexpected reply: " + status);
            }
            say(err, status.substring("relay ".length()));
            Thread up = new Thread(() -> upstream(client), "tcpstack-nc-stdin");
            up.setDaemon(true);
            up.start();
            InputStream in = client.input();
            byte[] buffer = new byte[CHUNK];
            int n;
            while ((n = in.read(buffer)) > 0) {
                System.out.write(buffer, 0, n);
                System.out.flush();
            }
            if (halfClose) {
                say(err, "the peer closed its side; ours stays open until stdin ends");
                up.join(); // the daemon sends our FIN when stdin ends and this side shuts down
            }
        }
        return 0;
    }

    private void say(PrintWriter err, String what) {
        if (verbose) {
            err.println("tcpstack nc: " + what);
            err.flush();
        }
    }

    /** stdin to the daemon; end of stdin half-closes, so the peer reads its end of stream. */
    private static void upstream(ControlClient client) {
        byte[] buffer = new byte[CHUNK];
        try {
            int n;
            while ((n = System.in.read(buffer)) > 0) {
                client.write(buffer, n);
            }
            client.shutdownOutput();
        } catch (IOException e) {
            // the connection ended while stdin still had data: the main thread reports the end
        }
    }
}
