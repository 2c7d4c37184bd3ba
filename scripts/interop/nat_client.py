#!/usr/bin/env python3
"""HTTP/1.0 requests one after another (the server closes first), for the NAT/tw_recycle demo.

Each connect gets --timeout seconds (the kernel resends a dropped SYN after 1 s); prints one
JSON line: {"ok": N, "failed": M}. Bounded by --count and by --deadline seconds.
"""
import argparse
import json
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--timeout", type=float, default=1.5)
    p.add_argument("--deadline", type=float, default=60)
    a = p.parse_args()
    end = time.monotonic() + a.deadline
    ok = failed = 0
    for _ in range(a.count):
        if time.monotonic() > end:
            break
        try:
            with socket.create_connection((a.connect, a.port), timeout=a.timeout) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            if data.startswith(b"HTTP/1.1 200 "):
                ok += 1
            else:
                failed += 1
                print("reply: %r" % data[:40], file=sys.stderr)
        except OSError as e:
            failed += 1
            print("connection failed: %s" % e, file=sys.stderr)
        time.sleep(a.interval)
    print(json.dumps({"ok": ok, "failed": failed}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
