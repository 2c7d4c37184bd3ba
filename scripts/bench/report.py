#!/usr/bin/env python3
"""Turns the raw lines of scripts/bench/run.sh into its table and a JSON summary.

usage: report.py RESULTS.jsonl SUMMARY.json   (prints the table)

A measurement run more than once (the latency ones) shows the median of each figure over its
runs, and the host's steal time during them (a VM's vCPUs taken away: the latency tails). The
stack's rows come in two sections: the daemon's default configuration (side stack-default) and
the tuned one (side stack). A bulk row with a kernel sender notes the sender's retransmitted
bytes (ss -ti) and its congestion control.
"""
import json
import statistics
import sys

GB = 1e9


def load(path):
    rows = {}
    for line in open(path):
        r = json.loads(line)
        rows.setdefault((r["side"], r["test"], r["mtu"], r["offload"]), []).append(r)
    return rows


def value(runs, field):
    """The median of a field over the runs that did not fail, or None."""
    values = [r["result"][field] for r in runs or [] if not r["result"].get("failed") and field in r["result"]]
    return statistics.median(values) if values else None


def steal_note(runs):
    """Runs, and the share of the machine's time the host stole during them."""
    busy = sum(r.get("machine_cpu_ticks", 0) + r.get("steal_ticks", 0) for r in runs or [])
    steal = sum(r.get("steal_ticks", 0) for r in runs or [])
    if not runs or len(runs) < 2:
        return ""
    return "median of %d runs; host steal %.1f%% of busy time" % (len(runs), 100.0 * steal / busy if busy else 0)


def cpu_per_gb(r, which):
    res = r["result"]
    total = res.get("total_bytes", 0)
    if which not in r:
        return None
    if not total:
        return None
    return r[which] / r["hz"] / (total / GB)


def sender(runs):
    """What ss -ti said about the kernel sender of the last run: bytes, retransmitted bytes, cc; or {}."""
    return (runs or [{}])[-1].get("sender") or {}


def main():
    rows = load(sys.argv[1])
    table = []   # (name, unit, stack, kernel, kernel setup, notes)

    def section(title):
        table.append({"section": title})

    def add(name, unit, stack_key, kernel_key, field, setup, scale=1.0, note=""):
        s_runs = rows.get(stack_key)
        k_runs = rows.get(kernel_key)
        sv = value(s_runs, field)
        kv = value(k_runs, field)
        s = s_runs[-1] if s_runs else None
        k = k_runs[-1] if k_runs else None
        if s and field == "gbps" and sv is not None:
            d = cpu_per_gb(s, "process_cpu_ticks")
            m = cpu_per_gb(s, "machine_cpu_ticks")
            km = cpu_per_gb(k, "machine_cpu_ticks") if k and kv is not None else None
            note = "daemon %.2f, machine %.2f (kernel %s) CPU s/GB" % (d, m, "%.2f" % km if km else "-")
            ss, ks = sender(s_runs), sender(k_runs)
            if ss:
                note += "; kernel sender retrans %.3f%% (%s)%s" % (
                    ss["retrans_pct"], ss["cc"], ", over veth %.3f%%" % ks["retrans_pct"] if ks else "")
        table.append({
            "config": stack_key[0],
            "sender_retrans_pct": sender(s_runs).get("retrans_pct"),
            "name": name, "unit": unit, "field": field,
            "tcpstack": sv * scale if sv is not None else None,
            "kernel": kv * scale if kv is not None else None,
            "kernel_setup": setup, "note": note,
            "stack_raw": s_runs, "kernel_raw": k_runs,
        })

    def bulk(side, mtu, off, koff, label):
        ksetup = "veth MTU %d offloads %s" % (mtu, koff)
        add("bulk kernel->stack, MTU %d, %s" % (mtu, label), "Gbit/s",
            (side, "bulk-in", mtu, off), ("kernel", "bulk-in", mtu, koff), "gbps", ksetup)
        if (side, "bulk-in-reno", mtu, off) in rows:
            add("bulk kernel->stack, MTU %d, %s, reno" % (mtu, label), "Gbit/s",
                (side, "bulk-in-reno", mtu, off), ("kernel", "bulk-in-reno", mtu, koff), "gbps", ksetup)
        add("bulk stack->kernel, MTU %d, %s" % (mtu, label), "Gbit/s",
            (side, "bulk-out", mtu, off), ("kernel", "bulk-out", mtu, koff), "gbps", ksetup)

    def latency(side, suffix, variant):
        for test, label in [("conns-server-close", "server closes"), ("conns-client-close", "client closes")]:
            sk = (side, test + suffix, 1500, "off")
            kk = ("kernel", test, 1500, "on")
            add("short connections/s, %s%s" % (label, variant), "conn/s", sk, kk, "per_second",
                "veth MTU 1500 offloads on", note="tcpstack " + steal_note(rows.get(sk)))
            add("  connect+request+close p50", "us", sk, kk, "p50_us", "", note="kernel " + steal_note(rows.get(kk)))
            add("  connect+request+close p99", "us", sk, kk, "p99_us", "")
        sk = (side, "pingpong" + suffix, 1500, "off")
        kk = ("kernel", "pingpong", 1500, "on")
        add("ping-pong 64 B round trip p50%s" % variant, "us", sk, kk, "p50_us", "veth MTU 1500 offloads on",
            note="tcpstack " + steal_note(rows.get(sk)))
        add("ping-pong 64 B round trip p99", "us", sk, kk, "p99_us", "", note="kernel " + steal_note(rows.get(kk)))

    section("the daemon's default configuration (scripts/run.sh): 2 TUN queues, affinity none, no offloads")
    bulk("stack-default", 1500, "off", "off", "no offloads")
    for t in table:
        test = {"bulk kernel->stack, MTU 1500, no offloads": "bulk-in",
                "bulk kernel->stack, MTU 1500, no offloads, reno": "bulk-in-reno"}.get(t.get("name"))
        one = value(rows.get(("stack", test, 1500, "off")), "gbps") if test else None
        if t.get("config") == "stack-default" and one and t["tcpstack"] is not None:
            t["vs_one_queue"] = t["tcpstack"] / one
            t["note"] = "%.2fx the 1-queue figure below; %s" % (t["vs_one_queue"], t["note"])
    latency("stack-default", "", "")
    section("tuned: 1 TUN queue, affinity flow (--queues 1 --affinity flow), offloads where a row says")
    for mtu, off, koff, label in [(1500, "off", "off", "no offloads"), (9000, "off", "off", "no offloads"),
                                  (1500, "on", "on", "virtio-net hdr + TSO")]:
        bulk("stack", mtu, off, koff, label)
    for suffix, variant in [("", ""), ("-busy-poll", ", busy-poll")]:
        latency("stack", suffix, variant)
    add("UDP pkt/s: TUN reflector vs kernel veth receive", "pkt/s", ("stack", "udp-pps", 1500, "off"),
        ("kernel", "udp-pps", 1500, "on"), "pps", "veth to the UDP socket layer")

    def fmt(v):
        if v is None:
            return "-"
        return "%.2f" % v if v < 100 else "%.0f" % v

    header = ("%-52s %-7s %10s %10s %7s  %-28s %s" % ("measurement", "unit", "tcpstack", "kernel", "ratio",
                                                       "kernel figure from", "notes"))
    lines = [header, "-" * len(header)]
    for t in table:
        if "section" in t:
            lines.append("-- " + t["section"])
            continue
        ratio = t["tcpstack"] / t["kernel"] if t["tcpstack"] is not None and t["kernel"] else None
        t["ratio"] = ratio
        lines.append("%-52s %-7s %10s %10s %7s  %-28s %s" % (t["name"], t["unit"], fmt(t["tcpstack"]),
                                                           fmt(t["kernel"]), "%.2f" % ratio if ratio else "-",
                                                           t["kernel_setup"], t["note"]))
    print("\n".join(lines))
    summary = [{k: v for k, v in t.items() if k not in ("stack_raw", "kernel_raw")} for t in table]
    with open(sys.argv[2], "w") as f:
        json.dump({"rows": summary, "raw": [r for runs in rows.values() for r in runs]}, f, indent=1, default=str)


if __name__ == "__main__":
    main()
