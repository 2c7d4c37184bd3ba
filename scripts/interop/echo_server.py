#!/usr/bin/env python3
"""A kernel TCP echo server for interop tests: echoes each connection until EOF, then closes.

Serves --count connections (one thread each) or stops after --timeout seconds.
Prints 'listening' once the socket is bound, and a line per finished connection.
"""
import argparse
import socket
import sys
import threading


def serve(conn, addr):
    total = 0
    with conn:
        while True:
            data = conn.recv(1 << 16)
            if not data:
                break
            conn.sendall(data)
            total += len(data)
    print(f"echoed {total} bytes to {addr[0]}:{addr[1]}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120)
    a = p.parse_args()
    srv = socket.socket(socket.AF_INET6 if ":" in a.bind else socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.bind, a.port))
    srv.listen(128)
    srv.settimeout(a.timeout)
    print("listening", flush=True)
    threads = []
    try:
        for _ in range(a.count):
            conn, addr = srv.accept()
            conn.settimeout(a.timeout)
            t = threading.Thread(target=serve, args=(conn, addr))
            t.start()
            threads.append(t)
    except socket.timeout:
        print("timed out waiting for connections", file=sys.stderr)
        return 1
    for t in threads:
        t.join(a.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
