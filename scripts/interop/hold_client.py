#!/usr/bin/env python3
"""A kernel TCP client that holds its connection open and reports how it ended, for interop tests.

Connects from --local-port (0: any), sends 'hello', reads the echo, prints 'echoed', then reads
until the connection ends and prints 'eof' (the peer's FIN) or 'reset' (an RST: ECONNRESET),
with the seconds since 'echoed'. Gives up after --timeout seconds ('timeout', exit 1).
"""
import argparse
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--local-port", type=int, default=0)
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("0.0.0.0", a.local_port))
    s.settimeout(a.timeout)
    s.connect((a.connect, a.port))
    s.sendall(b"hello")
    got = b""
    while len(got) < 5:
        chunk = s.recv(5 - len(got))
        if not chunk:
            print("eof before the echo", flush=True)
            return 1
        got += chunk
    print("echoed", flush=True)
    t0 = time.monotonic()
    try:
        while True:
            if not s.recv(65536):
                print(f"eof after {time.monotonic() - t0:.3f} s", flush=True)
                return 0
    except ConnectionResetError:
        print(f"reset after {time.monotonic() - t0:.3f} s", flush=True)
        return 0
    except socket.timeout:
        print("timeout", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
