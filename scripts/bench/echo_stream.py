#!/usr/bin/env python3
"""A kernel client that streams through an echo service and checks what comes back.

It connects from --bind ADDR:PORT (a fixed port, so an attacker's script knows the 4-tuple),
sends --chunk bytes of a seeded pseudo-random stream every --interval seconds for --seconds,
then shuts down its sending side; a second thread reads the echo until end of stream. Prints one
line: bytes sent and received, the sha256 of each, whether they match, and how the connection
ended (eof, or the error that reset it). Exits 1 unless everything came back unchanged.
"""
import argparse
import hashlib
import random
import socket
import threading
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--bind", required=True, help="ADDR:PORT to connect from")
    p.add_argument("--chunk", type=int, default=16384)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--ready-file", help="written once the connection is established")
    a = p.parse_args()
    if a.seconds > 3600:
        raise SystemExit("echo_stream: --seconds must be at most 3600")
    addr, port = a.bind.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.settimeout(30)
    s.connect((a.connect, a.port))
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write("connected\n")

    received = hashlib.sha256()
    got = [0]
    ended = ["eof"]

    def reader():
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    return
                received.update(data)
                got[0] += len(data)
        except OSError as e:
            ended[0] = type(e).__name__ + ": " + str(e)

    t = threading.Thread(target=reader)
    t.start()
    sent = hashlib.sha256()
    total = 0
    rng = random.Random(5961)
    start = time.monotonic()
    try:
        while time.monotonic() - start < a.seconds:
            chunk = rng.randbytes(a.chunk)
            s.sendall(chunk)
            sent.update(chunk)
            total += len(chunk)
            time.sleep(a.interval)
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        ended[0] = "send: " + type(e).__name__ + ": " + str(e)
    t.join(60)
    s.close()
    match = sent.hexdigest() == received.hexdigest() and total == got[0]
    print("echo: sent=%d received=%d sha256_sent=%s sha256_received=%s match=%s ended=%s"
          % (total, got[0], sent.hexdigest(), received.hexdigest(), "yes" if match else "no", ended[0]))
    raise SystemExit(0 if match and ended[0] == "eof" else 1)


if __name__ == "__main__":
    main()
