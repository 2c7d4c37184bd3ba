#!/usr/bin/env bash
# Congestion control on the live path: goodput of bulk transfers between a kernel client and the
# daemon in its default configuration (2 queues, affinity none) under the stack's own seeded
# impairment (fault rules: by default 1% of data segments dropped in each direction and 20 ms
# added to everything the stack sends, so 20 ms more round trip).
#
#   sudo scripts/bench/congestion.sh [--seconds S] [--loss P] [--delay MS] [--out DIR]
#
#   --seconds  length of each transfer (default 20; a 1 s warm-up transfer runs first)
#   --loss     share of data segments dropped, each way (default 0.01)
#   --delay    milliseconds added to every segment the stack sends (default 20)
#
# Rows: the stack sending (chargen:19 to a kernel reader) with congestion-control cubic and reno;
# the kernel sending (to discard:9) with its bbr (this machine's default) and reno
# (net.ipv4.tcp_congestion_control in its namespace; a namespace cannot pick cubic here). The
# stack's algorithm only matters where it sends. Columns: goodput, the sender's retransmissions
# (the stack's TcpRetransSegs, or the kernel's bytes_retrans / bytes_sent from ss -ti), and the
# stack's recoveries and timeouts. results.json holds every row.
# Namespaces: tcpstack-cc-PID-* (scripts/bench/lib.sh), removed on exit; transfers are bounded in time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER=20
LOSS=0.01
DELAY=20
OUT=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) SECONDS_PER=${2:?}; shift 2 ;;
        --loss) LOSS=${2:?}; shift 2 ;;
        --delay) DELAY=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "congestion.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $EUID -ne 0 ]]; then
    echo "congestion.sh: needs root for network namespaces and TUN" >&2
    exit 1
fi
"$ROOT/scripts/tcpstack" --version >/dev/null
P="tcpstack-cc-$$"
# shellcheck source=lib.sh
source "$ROOT/scripts/bench/lib.sh"
bench_out congestion
ROWS="$OUT/rows.jsonl"
: >"$ROWS"
bench_namespaces
ip netns exec "$NS_S" ip link set tun0 mtu 1500 up
FAULT="both data drop p=$LOSS seed=1; out any delay ${DELAY}ms"

# transfer NAME STACK_CC KERNEL_CC CLIENT_MODE PORT: a daemon with that algorithm and the fault
# rules, a warm-up, one measured transfer; appends a row with the stack's counters before and after
transfer() {
    local name=$1 stack_cc=$2 kernel_cc=$3 mode=$4 port=$5 before after sender='{}'
    ip netns exec "$NS_S" sysctl -qw net.ipv4.tcp_congestion_control="$kernel_cc"
    start_bg "$OUT/daemon.log" "tcpstack ready" "$NS_S" java -XX:+UseParallelGC -jar "$JAR" daemon --dev tun0 \
        --addr 198.18.0.2 --services discard:9,chargen:19 --control "$CTL" --log-level warn \
        --congestion-control "$stack_cc" --fault "$FAULT"
    local daemon=$BG
    timeout 60 ip netns exec "$NS_S" "${JAVA[@]}" io.tcpstack.bench.BenchClient "$mode" 198.18.0.2 "$port" 1 \
        >/dev/null
    before=$(ctl stats --json -z)
    ip netns exec "$NS_S" "${JAVA[@]}" io.tcpstack.bench.BenchClient "$mode" 198.18.0.2 "$port" "$SECONDS_PER" \
        >"$OUT/client.json" &
    local client=$!
    PIDS+=("$client")
    if [[ $mode == bulk-send ]]; then
        sender=$("$ROOT/scripts/bench/sender-retrans.sh" "$NS_S" 198.18.0.2 "$port" "$client")
    fi
    wait "$client" || { echo "congestion.sh: $name: the client failed" >&2; exit 1; }
    after=$(ctl stats --json -z)
    stop_bg "$daemon"
    printf '{"name":"%s","stack_cc":"%s","kernel_cc":"%s","loss":%s,"delay_ms":%s,"client":%s,"sender":%s,"before":%s,"after":%s}\n' \
        "$name" "$stack_cc" "$kernel_cc" "$LOSS" "$DELAY" "$(cat "$OUT/client.json")" "$sender" "$before" "$after" \
        >>"$ROWS"
    echo "  $name: $(cat "$OUT/client.json") $sender" >&2
}

echo "fault rules: $FAULT; default daemon (2 queues, affinity none), MTU 1500; load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(uname -r)" \
    | tee "$OUT/table.txt"
for cc in cubic reno; do
    transfer "stack -> kernel, stack $cc" "$cc" bbr bulk-recv 19
done
for cc in bbr reno; do
    transfer "kernel -> stack, kernel $cc" cubic "$cc" bulk-send 9
done

python3 - "$ROWS" "$OUT/results.json" <<'PY' | tee -a "$OUT/table.txt"
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
head = ("transfer", "Mbit/s", "sender retrans", "stack SACK recoveries", "stack loss probes", "stack RTOs")
table = [head]
for r in rows:
    before, after = r["before"].get("tcpstack", {}), r["after"].get("tcpstack", {})
    d = lambda k: after.get(k, 0) - before.get(k, 0)
    r["stack_delta"] = {k: d(k) for k in ("TcpRetransSegs", "TcpOutSegs", "TcpExtTCPSackRecovery",
                                           "TcpExtTCPLossProbes", "TcpExtTCPTimeouts")}
    r["mbps"] = r["client"]["bytes"] * 8 / r["client"]["seconds"] / 1e6
    if r["sender"]:
        retrans = "%.2f%% of bytes" % r["sender"]["retrans_pct"]
    else:
        out = d("TcpOutSegs")
        retrans = "%.2f%% of segments" % (100.0 * d("TcpRetransSegs") / out) if out else "-"
    table.append((r["name"], "%.2f" % r["mbps"], retrans, str(d("TcpExtTCPSackRecovery")),
                  str(d("TcpExtTCPLossProbes")), str(d("TcpExtTCPTimeouts"))))
json.dump([{k: v for k, v in r.items() if k not in ("before", "after")} for r in rows],
          open(sys.argv[2], "w"), indent=1)
widths = [max(len(row[i]) for row in table) for i in range(len(head))]
for n, row in enumerate(table):
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
PY
echo "results: $OUT/results.json" >&2
