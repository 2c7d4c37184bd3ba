#!/usr/bin/env python3
"""HTTP requests one after another (Connection: close, the server closes first), for the NAT demo.

Each connect gets --timeout seconds (the kernel resends a dropped SYN after 1 s); prints one
JSON line: {"ok": N, "failed": M}. Bounded by --count and by --deadline seconds.
"""
import argparse
import json
import sys
import time

from short_conns import http


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
            if http(a.connect, a.port, a.timeout):
                ok += 1
            else:
                failed += 1
                print("wrong reply", file=sys.stderr)
        except OSError as e:
            failed += 1
            print("connection failed: %s" % e, file=sys.stderr)
        time.sleep(a.interval)
    print(json.dumps({"ok": ok, "failed": failed}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
