#!/usr/bin/env python3
"""Kernel-side clients for scripts/soak.sh, each looping until --seconds are over, then printing
one line: "soak MODE: ok=N errors=M bytes=B" and the first errors.

  bulk-down    GET /bytes/N (HTTP, Connection: close) and check every byte (sha256)
  bulk-up      N bytes to discard (port 9), FIN, and wait for the server's FIN
  echo         a connection per round: 1 MiB through echo (port 7), read back and compared
  slow-reader  GET /bytes/64 MiB and read 16 KiB every 100 ms for --hold seconds (the stack's send
               window closes and opens again), check what was read, then close with data unread
"""
import argparse
import hashlib
import os
import socket
import time

MIB = 1 << 20


def period():
    """The stream GET /bytes/N serves (byte i = (7i + (i >> 8)) & 0xff) repeats every 64 KiB."""
    return bytes((7 * i + (i >> 8)) & 0xFF for i in range(65536))


PERIOD = period()


def expected_sha(n):
    h = hashlib.sha256()
    full, rest = divmod(n, len(PERIOD))
    for _ in range(full):
        h.update(PERIOD)
    h.update(PERIOD[:rest])
    return h.hexdigest()


def http_get(addr, n, timeout):
    s = socket.create_connection((addr, 80), timeout=timeout)
    s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n" % n)
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise IOError("end of stream in the response head")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200 "):
        raise IOError("status " + head.split(b"\r\n", 1)[0].decode(errors="replace"))
    return body


def bulk_down(a, expected):
    with http_get(a.connect, a.size, a.timeout) as s:
        body = read_head(s)
        h = hashlib.sha256(body)
        got = len(body)
        while True:
            chunk = s.recv(1 << 18)
            if not chunk:
                break
            h.update(chunk)
            got += len(chunk)
    if got != a.size or h.hexdigest() != expected:
        raise IOError("got %d bytes, sha256 %s" % (got, "ok" if h.hexdigest() == expected else "wrong"))
    return got


def bulk_up(a, _):
    chunk = os.urandom(1 << 16)
    with socket.create_connection((a.connect, 9), timeout=a.timeout) as s:
        sent = 0
        while sent < a.size:
            s.sendall(chunk)
            sent += len(chunk)
        s.shutdown(socket.SHUT_WR)
        if s.recv(1) != b"":
            raise IOError("discard answered")
    return sent


def echo(a, _):
    data = os.urandom(MIB)
    with socket.create_connection((a.connect, 7), timeout=a.timeout) as s:
        back = bytearray()
        for off in range(0, len(data), 1 << 16):
            s.sendall(data[off:off + (1 << 16)])
            while len(back) < off:  # keep the echo flowing both ways
                back += s.recv(1 << 16)
        s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            back += chunk
    if bytes(back) != data:
        raise IOError("echoed %d bytes, %s" % (len(back), "equal" if bytes(back) == data else "different"))
    return len(back)


def slow_reader(a, _):
    n = 64 * MIB
    with http_get(a.connect, n, a.timeout) as s:
        body = bytearray(read_head(s))
        end = time.monotonic() + a.hold
        while time.monotonic() < end:
            chunk = s.recv(16384)
            if not chunk:
                raise IOError("end of stream after %d bytes" % len(body))
            body += chunk
            time.sleep(0.1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    full, rest = divmod(len(body), len(PERIOD))
    if bytes(body) != PERIOD * full + PERIOD[:rest]:
        raise IOError("wrong bytes in the %d read" % len(body))
    return len(body)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["bulk-down", "bulk-up", "echo", "slow-reader"])
    p.add_argument("--connect", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--size", type=int, default=32 * MIB)
    p.add_argument("--hold", type=float, default=20)
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    if a.seconds > 24 * 3600:
        raise SystemExit("soak_clients: --seconds must be at most a day")
    run = {"bulk-down": bulk_down, "bulk-up": bulk_up, "echo": echo, "slow-reader": slow_reader}[a.mode]
    expected = expected_sha(a.size) if a.mode == "bulk-down" else None
    start = time.monotonic()
    ok = errors = moved = 0
    first = []
    while time.monotonic() - start < a.seconds:
        try:
            moved += run(a, expected)
            ok += 1
        except (OSError, IOError) as e:
            errors += 1
            if len(first) < 3:
                first.append("%.0fs %s: %s" % (time.monotonic() - start, type(e).__name__, e))
            time.sleep(0.5)
    print("soak %s: ok=%d errors=%d bytes=%d%s" % (a.mode, ok, errors, moved,
                                                    (" first errors: " + "; ".join(first)) if first else ""))


if __name__ == "__main__":
    main()
