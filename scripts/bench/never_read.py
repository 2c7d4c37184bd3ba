#!/usr/bin/env python3
"""Kernel clients that never read: opens --count connections to --connect:--port at up to --rate
a second (non-blocking connects, at most --pending in progress, each given 10 s), sends each
--request once, never reads, and holds every socket --seconds after the last connect. Their
receive windows close and whatever the server writes piles up in its send queues. Prints a line
when all connects are done (established, failed), and one at the end: how many were still
established (a reset or a timeout closes one).
"""
import argparse
import resource
import selectors
import socket
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--rate", type=float, default=2000)
    p.add_argument("--pending", type=int, default=256)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--request", default="GET /bytes/1000000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    a = p.parse_args()
    if not 0 < a.count <= 30000 or not 0 < a.seconds <= 600:
        raise SystemExit("never_read.py: --count 1..30000, --seconds 1..600")
    resource.setrlimit(resource.RLIMIT_NOFILE, (a.count + 1024, a.count + 1024))
    sel = selectors.DefaultSelector()
    request = a.request.encode()
    start = time.monotonic()
    end = start + a.count / a.rate + 30  # for the connects
    opened = established = failed = 0
    held = []
    while time.monotonic() < end and (opened < a.count or len(sel.get_map()) > 0):
        now = time.monotonic()
        while opened < a.count and len(sel.get_map()) < a.pending and opened < (now - start) * a.rate + 1:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small: the window closes soon
            s.connect_ex((a.connect, a.port))
            sel.register(s, selectors.EVENT_WRITE, now)
            opened += 1
        for key, _ in sel.select(timeout=0.01):
            s = key.fileobj
            sel.unregister(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    s.send(request)
                    established += 1
                    held.append(s)
                    continue
                except OSError:
                    pass
            failed += 1
            s.close()
        for key in list(sel.get_map().values()):
            if now - key.data > 10:  # a connect that did not finish in 10 s
                sel.unregister(key.fileobj)
                key.fileobj.close()
                failed += 1
    print(f"never-read clients: opened={opened} established={established} failed={failed} "
          f"in {time.monotonic() - start:.1f} s", flush=True)
    time.sleep(a.seconds)
    alive = 0
    for s in held:
        try:
            alive += s.getsockopt(socket.SOL_TCP, socket.TCP_INFO, 8)[0] == 1  # TCP_ESTABLISHED
        except OSError:
            pass
        s.close()
    print(f"never-read clients: still established at the end {alive} of {established}", flush=True)


if __name__ == "__main__":
    main()
