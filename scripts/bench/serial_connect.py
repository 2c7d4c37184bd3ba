#!/usr/bin/env python3
"""A serial kernel client beside a flood: every --interval seconds (or right after the previous
one, if it took longer) it connects, sends an HTTP/1.0 GET, reads the answer to its end and closes.
A connection counts when its answer starts with an HTTP 200 status line within --timeout. Stops
after --seconds. Prints one line: attempts, ok, failed, and the connect times (the SYN to the
handshake's end, as connect() sees it) at p50, p99 and max, in ms.
"""
import argparse
import socket
import time


def attempt(addr, port, timeout):
    """The connect time in ms and whether the answer was a 200; raises on failure."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        t0 = time.perf_counter()
        s.connect((addr, port))
        connect_ms = (time.perf_counter() - t0) * 1000
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return connect_ms, data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n", 1)[0]
    finally:
        s.close()


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--timeout", type=float, default=3.0)
    a = p.parse_args()
    if a.seconds > 3600:
        raise SystemExit("serial_connect: --seconds must be at most 3600")
    start = time.monotonic()
    attempts = ok = 0
    times = []
    errors = {}
    while time.monotonic() - start < a.seconds:
        due = start + attempts * a.interval
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        attempts += 1
        try:
            connect_ms, good = attempt(a.connect, a.port, a.timeout)
            times.append(connect_ms)
            if good:
                ok += 1
            else:
                errors["bad answer"] = errors.get("bad answer", 0) + 1
        except OSError as e:
            name = type(e).__name__
            errors[name] = errors.get(name, 0) + 1
    print("serial: attempts=%d ok=%d failed=%d connect_ms p50=%.2f p99=%.2f max=%.2f errors=%s"
          % (attempts, ok, attempts - ok, percentile(times, 50), percentile(times, 99),
             max(times) if times else float("nan"), ",".join("%s:%d" % kv for kv in sorted(errors.items())) or "none"))


if __name__ == "__main__":
    main()
