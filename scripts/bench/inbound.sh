#!/usr/bin/env bash
# The inbound multi-queue path, measured against Linux: one bulk transfer from a kernel client to
# discard:9 per configuration of the daemon, and the same transfer between two kernels over veth
# (Linux without RSS, which the default affinity models). Prints one table: how fast, how much of
# the flow arrived out of order, and what that cost the kernel sender.
#
#   sudo scripts/bench/inbound.sh [--seconds S] [--cc bbr|reno] [--out DIR] [CONFIG...]
#
#   --seconds  length of each transfer (default 8; a 1 s warm-up transfer runs first)
#   --cc       the kernel sender's congestion control (net.ipv4.tcp_congestion_control in its
#              namespace; default bbr, this machine's default)
#   CONFIG     daemon option sets, each one argument (default: "" "--affinity flow"
#              "--affinity spray" "--queues 1"); "" is the daemon's default configuration
#
# Columns: Gbit/s (the client's count); segs in: TcpInSegs at the receiver; OFO queued:
# TcpExtTCPOFOQueue, segments that went to the out-of-order queue, and their share of segs in;
# PAWS drops: TcpExtPAWSEstab; retrans: the sender's bytes_retrans / bytes_sent and reord_seen
# (ss -ti); per queue: inbound packets per TUN queue (ctl status). The kernel row is the
# receiving kernel's nstat over veth, MTU 1500, offloads off, in namespaces of its own.
# Namespaces: tcpstack-inbound-PID-* (scripts/bench/lib.sh), removed on exit; every transfer is
# bounded in time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER=8
CC=bbr
OUT=""
CONFIGS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) SECONDS_PER=${2:?}; shift 2 ;;
        --cc) CC=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) CONFIGS+=("$1"); shift ;;
    esac
done
[[ ${#CONFIGS[@]} -gt 0 ]] || CONFIGS=("" "--affinity flow" "--affinity spray" "--queues 1")
if [[ $EUID -ne 0 ]]; then
    echo "inbound.sh: needs root for network namespaces and TUN" >&2
    exit 1
fi
"$ROOT/scripts/tcpstack" --version >/dev/null
P="tcpstack-inbound-$$"
# shellcheck source=lib.sh
source "$ROOT/scripts/bench/lib.sh"
bench_out inbound
ROWS="$OUT/rows.jsonl"
: >"$ROWS"
bench_namespaces net.ipv4.tcp_congestion_control="$CC"
ip netns exec "$NS_S" ip link set tun0 mtu 1500 up
veth 1500 off

# transfer NAME NS HOST COUNTERS_CMD QUEUES_CMD: a warm-up, then one measured transfer with the
# sender sampled and the receiver's counters read before and after; appends a row
transfer() {
    local name=$1 ns=$2 host=$3 counters=$4 queues=$5
    timeout 30 ip netns exec "$ns" "${JAVA[@]}" io.tcpstack.bench.BenchClient bulk-send "$host" 9 1 >/dev/null
    local before after client sender result
    before=$(eval "$counters")
    ip netns exec "$ns" "${JAVA[@]}" io.tcpstack.bench.BenchClient bulk-send "$host" 9 "$SECONDS_PER" >"$OUT/client.json" &
    client=$!
    PIDS+=("$client")
    sender=$("$ROOT/scripts/bench/sender-retrans.sh" "$ns" "$host" 9 "$client")
    wait "$client" || { echo "inbound.sh: $name: the client failed" >&2; exit 1; }
    after=$(eval "$counters")
    result=$(cat "$OUT/client.json")
    printf '{"name":"%s","before":%s,"after":%s,"client":%s,"sender":%s,"queues":"%s"}\n' "$name" "$before" "$after" \
        "$result" "$sender" "$(eval "$queues")" >>"$ROWS"
    echo "  $name: $result $sender" >&2
}

echo "kernel sender: $CC; load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(uname -r)" | tee "$OUT/table.txt"
start_bg "$OUT/kernel-server.log" ready "$NS_B" "${JAVA[@]}" io.tcpstack.bench.BenchServer 198.18.1.2 600
KSERVER=$BG
nstat_json() { ip netns exec "$NS_B" nstat -asz --json; }
transfer "Linux over veth (no RSS)" "$NS_A" 198.18.1.2 nstat_json "echo -"
stop_bg "$KSERVER"

stats_json() { ctl stats --json -z; }
per_queue() { ctl status | sed -n 's/.*packets per queue: //p'; }
for config in "${CONFIGS[@]}"; do
    # shellcheck disable=SC2086
    start_bg "$OUT/daemon.log" "tcpstack ready" "$NS_S" java -XX:+UseParallelGC -jar "$JAR" daemon --dev tun0 \
        --addr 198.18.0.2 --services discard:9 --control "$CTL" --log-level warn $config
    DAEMON=$BG
    transfer "tcpstack ${config:-default (--queues 2, affinity none)}" "$NS_S" 198.18.0.2 stats_json per_queue
    stop_bg "$DAEMON"
    grep -i "steering" "$OUT/daemon.log" >&2 || true
done

python3 - "$ROWS" <<'PY' | tee -a "$OUT/table.txt"
import json, sys

def counters(snapshot):
    """nstat --json ({"kernel":{...}}) or ctl stats --json ({"tcpstack":{...},"drops":{...}})."""
    return snapshot.get("kernel") or snapshot.get("tcpstack") or {}

head = ("receiver", "Gbit/s", "segs in", "OFO queued", "OFO %", "PAWS drops", "sender retrans %", "reord_seen",
        "per queue")
table = [head]
for line in open(sys.argv[1]):
    r = json.loads(line)
    before, after = counters(r["before"]), counters(r["after"])
    d = lambda k: after.get(k, 0) - before.get(k, 0)
    segs = d("TcpInSegs")
    ofo = d("TcpExtTCPOFOQueue")
    s = r["sender"]
    table.append((r["name"], "%.2f" % r["client"]["gbps"], str(segs), str(ofo),
                  "%.2f" % (100.0 * ofo / segs) if segs else "-", str(d("TcpExtPAWSEstab")),
                  "%.3f" % s["retrans_pct"] if s else "-", str(s.get("reord_seen", "-")), r["queues"]))
widths = [max(len(row[i]) for row in table) for i in range(len(head))]
for n, row in enumerate(table):
    print("  ".join(c.ljust(w) if i in (0, 8) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
PY
