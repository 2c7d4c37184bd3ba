#!/usr/bin/env python3
"""FIN/ACK latency test, kernel side: the counterpart of io.tcpstack.examples.FinAckLatency.

After Linux's selftest tools/testing/selftests/net/fin_ack_lat.c (stack/BEHAVIOURS.md 1 and 13).

  server --bind ADDR --port P [--count N] [--timeout S]
      Accepts connections one at a time: reads 4 bytes, sends them back and closes first
      (the server is the active closer). Exits after N connections or S seconds.

  client --connect ADDR --port P --local-port LP --count N [--deadline S] [--json]
      N rounds, all from local port LP (SO_REUSEADDR + bind): connect, send 4 bytes, read the
      4-byte reply, read the server's FIN (end of stream), close with SO_LINGER 0 (RST).
      Each round's connect is timed from its first attempt until it is established. A refused
      connect (an in-window SYN meeting the server's stale FIN_WAIT_2 record, which answers
      RST/ACK) is counted and retried at once, at most 3 attempts per round. Prints

        fin-ack-lat: count=200 p50=0.3ms p99=1002.1ms max=1004.0ms slow(>500ms)=12 refused=3

      and, with --json, a JSON line with the same figures in microseconds, and over_5ms: the
      connects over 5 ms, most likely a SYN resent early (Linux >= 5.6). Exit status 0 when
      every round completed, 3 when the deadline stopped the run early, 1 on an error.

Figures are computed as the Java side does: nearest-rank percentiles over the exact samples,
milliseconds rounded half up to one decimal in integer arithmetic.

Run it only inside network namespaces, never against real addresses.
"""

import argparse
import json
import math
import socket
import struct
import sys
import time

MESSAGE_BYTES = 4
SLOW_US = 500_000
# over this a connect most likely had its SYN resent early: Linux >= 5.6 resends TCP_TIMEOUT_MIN
# (8 ms at HZ=250) after an unacceptable ACK, where an undisturbed connect here takes about 0.1 ms
RESENT_US = 5_000
MAX_CONNECT_ATTEMPTS = 3
SERVER_IO_TIMEOUT_S = 10.0
BACKLOG = 128
EXIT_DEADLINE = 3


class DeadlinePassed(Exception):
    """The run's deadline passed before the round completed."""


def percentile_us(sorted_us, percentile):
    """Nearest rank: the sample at rank ceil(p/100 x n), 1-based; 0 for no samples."""
    if not sorted_us:
        return 0
    rank = math.ceil(percentile * len(sorted_us) / 100)
    return sorted_us[max(rank, 1) - 1]


def format_ms(micros):
    """Microseconds as milliseconds with one decimal, rounded half up (250 us -> "0.3")."""
    tenths = (micros + 50) // 100
    return "%d.%d" % (tenths // 10, tenths % 10)


def figures(latencies_us, refused, deadline_reached):
    ordered = sorted(latencies_us)
    return {
        "count": len(ordered),
        "p50_us": percentile_us(ordered, 50),
        "p99_us": percentile_us(ordered, 99),
        "max_us": percentile_us(ordered, 100),
        "slow": sum(1 for us in ordered if us > SLOW_US),
        "slow_threshold_us": SLOW_US,
        "over_5ms": sum(1 for us in ordered if us > RESENT_US),
        "refused": refused,
        "deadline_reached": deadline_reached,
    }


def summary(f):
    return "fin-ack-lat: count=%d p50=%sms p99=%sms max=%sms slow(>%dms)=%d refused=%d" % (
        f["count"], format_ms(f["p50_us"]), format_ms(f["p99_us"]), format_ms(f["max_us"]),
        SLOW_US // 1000, f["slow"], f["refused"])


def set_timeout_until(sock, end):
    """Blocking with a timeout that ends at `end` (time.monotonic); DeadlinePassed after it."""
    left = end - time.monotonic()
    if left <= 0:
        raise DeadlinePassed()
    sock.settimeout(left)


def ours(timeout):
    """A socket.timeout of our own timeouts (errno None), not the kernel's ETIMEDOUT, which is
    TimeoutError too since Python 3.10: that one is an error."""
    return timeout.errno is None


def recv_exactly(sock, n, end):
    data = b""
    while len(data) < n:
        set_timeout_until(sock, end)
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("end of stream after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def family(address):
    """AF_INET6 for an IPv6 address (it has colons), else AF_INET."""
    return socket.AF_INET6 if ":" in address else socket.AF_INET


class Client:
    """One client run: where it connects and what it has measured so far."""

    def __init__(self, server, port, local_addr, local_port, end):
        self.server = server
        self.port = port
        self.family = family(server)
        if local_addr == "0.0.0.0" and self.family == socket.AF_INET6:
            local_addr = "::"
        self.local = (local_addr, local_port)
        self.end = end
        self.latencies_us = []
        self.refused = 0

    def new_socket(self):
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind(self.local)
        except OSError:
            sock.close()
            raise
        return sock

    def connect(self):
        """A connected socket; again at once after a refusal. DeadlinePassed at the deadline."""
        attempt = 1
        while True:
            sock = self.new_socket()
            try:
                set_timeout_until(sock, self.end)
                sock.connect((self.server, self.port))
                return sock
            except ConnectionRefusedError:
                sock.close()
                if attempt == MAX_CONNECT_ATTEMPTS:
                    raise
                self.refused += 1
                attempt += 1
            except socket.timeout as e:
                sock.close()
                if not ours(e):
                    raise
                raise DeadlinePassed()
            except BaseException:
                sock.close()
                raise

    def round(self, rnd):
        """One connection; False when the deadline passed before it completed."""
        start = time.monotonic_ns()
        try:
            sock = self.connect()
        except DeadlinePassed:
            return False
        self.latencies_us.append((time.monotonic_ns() - start) // 1000)
        with sock:  # SO_LINGER 0: the close sends an RST
            try:
                request = struct.pack("!I", rnd % 2**32)
                set_timeout_until(sock, self.end)
                sock.sendall(request)
                reply = recv_exactly(sock, MESSAGE_BYTES, self.end)
                if reply != request:
                    raise OSError("round %d: reply %r is not the request %r" % (rnd, reply, request))
                set_timeout_until(sock, self.end)
                if sock.recv(1):
                    raise OSError("round %d: the server sent more than %d bytes" % (rnd, MESSAGE_BYTES))
            except DeadlinePassed:
                return False
            except socket.timeout as e:
                if not ours(e):
                    raise
                return False
        return True


def run_client(args):
    client = Client(args.connect, args.port, args.local_addr, args.local_port,
                    time.monotonic() + args.deadline)
    deadline_reached = False
    for rnd in range(args.count):
        if not client.round(rnd):
            deadline_reached = True
            break
    f = figures(client.latencies_us, client.refused, deadline_reached)
    print(summary(f), flush=True)
    if args.json:
        print(json.dumps(f), flush=True)
    return EXIT_DEADLINE if deadline_reached else 0


def serve_one(conn, end):
    """Reads the 4 bytes, sends them back; the caller's close makes the server the active closer."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = recv_exactly(conn, MESSAGE_BYTES, end)
    set_timeout_until(conn, end)
    conn.sendall(request)


def run_server(args):
    end = time.monotonic() + args.timeout
    served = failed = 0
    with socket.socket(family(args.bind), socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if args.rcvbuf:
            # accepted sockets inherit it: a small receive window puts a reconnect's new ISN
            # outside a leftover FIN_WAIT_2 record's window (ACK, not RST; stack/BEHAVIOURS.md 3)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
        listener.bind((args.bind, args.port))
        listener.listen(BACKLOG)
        port = listener.getsockname()[1]
        print("fin-ack-lat server: listening on %s:%d" % (args.bind, port), file=sys.stderr, flush=True)
        for _ in range(args.count):
            try:
                set_timeout_until(listener, end)
                conn, _peer = listener.accept()
            except DeadlinePassed:
                break
            except socket.timeout as e:
                if not ours(e):
                    raise
                break
            with conn:
                try:
                    serve_one(conn, min(end, time.monotonic() + SERVER_IO_TIMEOUT_S))
                except (OSError, EOFError, DeadlinePassed) as e:
                    failed += 1
                    print("fin-ack-lat server: connection failed: %s" % (str(e) or type(e).__name__),
                          file=sys.stderr, flush=True)
                    continue
            served += 1
    print("fin-ack-lat server: port=%d served=%d failed=%d" % (port, served, failed), flush=True)
    return 0


def port_number(text, low=1):
    value = int(text)
    if not low <= value <= 65535:
        raise argparse.ArgumentTypeError("port %d not in %d..65535" % (value, low))
    return value


def server_port(text):
    return port_number(text, low=0)


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("%d < 1" % value)
    return value


def positive_seconds(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("%s seconds must be positive" % text)
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="FIN/ACK latency test (after Linux selftest fin_ack_lat.c); run inside network namespaces only.")
    sub = parser.add_subparsers(dest="mode", required=True)

    server = sub.add_parser("server", help="accept, read 4 bytes, reply, close first")
    server.add_argument("--bind", required=True, help="address to listen on")
    server.add_argument("--port", required=True, type=server_port,
                        help="port to listen on (0: any, printed on stderr)")
    server.add_argument("--count", type=positive_int, default=1000,
                        help="exit after this many connections (default 1000)")
    server.add_argument("--rcvbuf", type=positive_int, default=0,
                        help="SO_RCVBUF of the listener in bytes (default: the kernel's)")
    server.add_argument("--timeout", type=positive_seconds, default=60.0,
                        help="exit after this many seconds (default 60)")

    client = sub.add_parser("client", help="connect from one local port, time each connect")
    client.add_argument("--connect", required=True, help="server address")
    client.add_argument("--port", required=True, type=port_number, help="server port")
    client.add_argument("--local-port", required=True, type=port_number, help="local port every round binds")
    client.add_argument("--local-addr", default="0.0.0.0", help="local address to bind (default any)")
    client.add_argument("--count", required=True, type=positive_int, help="rounds")
    client.add_argument("--deadline", type=positive_seconds, default=60.0,
                        help="stop after this many seconds (default 60; exit status 3)")
    client.add_argument("--json", action="store_true", help="also print the figures as a JSON line")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        return run_server(args) if args.mode == "server" else run_client(args)
    except (OSError, EOFError) as e:
        print("fin-ack-lat: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
