#!/usr/bin/env python3
"""Sequential short connections from the kernel to a stack service, for interop tests.

http: connect, GET / with 'Connection: close', read to EOF (the server closes first), close.
echo: connect, send 16 bytes, read them back, close (the client closes first).
Prints 'ok=N failed=M' and exits non-zero when any connection failed.
"""
import argparse
import socket
import sys


def http(addr, port, timeout):
    with socket.create_connection((addr, port), timeout=timeout) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: tcpstack\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.startswith(b"HTTP/1.1 200 ")


def echo(addr, port, timeout):
    msg = b"0123456789abcdef"
    with socket.create_connection((addr, port), timeout=timeout) as s:
        s.sendall(msg)
        data = b""
        while len(data) < len(msg):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data == msg


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("mode", choices=["http", "echo"])
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--timeout", type=float, default=5)
    a = p.parse_args()
    run = http if a.mode == "http" else echo
    ok = failed = 0
    for i in range(a.count):
        try:
            if run(a.connect, a.port, a.timeout):
                ok += 1
            else:
                failed += 1
                print(f"connection {i}: wrong reply", file=sys.stderr)
        except OSError as e:
            failed += 1
            print(f"connection {i}: {e}", file=sys.stderr)
    print(f"ok={ok} failed={failed}", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
