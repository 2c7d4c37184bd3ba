#!/usr/bin/env bash
# The FIN/ACK race and both SYN-resend behaviours, live against the kernel, in a namespace of
# its own (tcpstack-demo-PID, removed on exit). Prints one table and a ladder diagram.
#
#   sudo scripts/demo-finack.sh [--count N]      (default 200 connections per run)
#
# A. stack as client, kernel as server (scripts/fin_ack_lat.py). The stack's fault injector
#    loses every 10th RST/ACK of the client's abortive close, so the kernel server is left in
#    FIN_WAIT_2; the next connect from the same port meets it, gets an ACK of the old flow,
#    answers RST and resends its SYN: after 1 s (rto-init, Linux <= 5.5) or at once
#    (timeout-min, Linux >= 5.6).
# B. kernel as client, stack as server, no fault injected: with affinity none the ACK of the
#    server's FIN and the client's RST are processed on two workers at once, and a lost race
#    (a stale lookup) leaves the stack's FIN_WAIT_2 record behind; with affinity flow it cannot.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COUNT=200
while [[ $# -gt 0 ]]; do
    case $1 in
        --count) COUNT=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo-finack.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $EUID -ne 0 ]]; then
    echo "demo-finack.sh: needs root for its network namespace (sudo scripts/demo-finack.sh)" >&2
    exit 1
fi
"$ROOT/scripts/tcpstack" --version >/dev/null
JAR="$ROOT/tun-driver/target/tcpstack.jar"
PY="$ROOT/scripts/fin_ack_lat.py"
NS="tcpstack-demo-$$"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
# starts a command in the namespace in the background; $! is then its own PID (not a subshell's)
bg_ns() { ip netns exec "$NS" "$@" & }
in_ns ip link set lo up
in_ns ip tuntap add dev tun0 mode tun multi_queue
in_ns ip addr add 198.18.0.1/24 dev tun0
in_ns ip link set tun0 mtu 1500 up
DEADLINE=100

# the largest number of kernel sockets in FIN-WAIT-2 seen while process $1 runs
watch_fin_wait_2() {
    local max=0 n
    while kill -0 "$1" 2>/dev/null; do
        n=$(in_ns ss -Htan state fin-wait-2 | wc -l)
        (( n > max )) && max=$n
        sleep 0.1
    done
    echo "$max"
}

wait_for() { # file text
    for _ in $(seq 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "demo-finack.sh: '$2' did not appear in $1:" >&2; cat "$1" >&2; exit 1
}

field() { # "key=value ..." line, key
    sed -n "s/.*[ :]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -1
}

ROWS="$WORK/rows"
for mode in rto-init timeout-min; do
    out="$WORK/client-$mode"
    bg_ns python3 "$PY" server --bind 198.18.0.1 --port 5001 --count "$COUNT" --timeout "$DEADLINE" --rcvbuf 2048 \
        >"$out.server" 2>&1
    server=$!; PIDS+=("$server")
    wait_for "$out.server" listening
    ladder=(); [[ $mode == rto-init ]] && ladder=(--ladder)
    bg_ns java -jar "$JAR" finack client --syn-resend "$mode" --fault "out flags=R. drop every=10" --count "$COUNT" \
        --deadline "$DEADLINE" --json --log-level warn "${ladder[@]}" >"$out" 2>&1
    client=$!; PIDS+=("$client")
    fw2=$(watch_fin_wait_2 "$client")
    wait "$client" || { echo "demo-finack.sh: client ($mode) failed:" >&2; cat "$out" >&2; exit 1; }
    wait "$server" || true
    stats=$(grep '^stack:' "$out")
    echo "A stack client -> kernel server|syn-resend $mode|$(grep '^{' "$out")|$(field "$stats" stale-lookup-drops)|$(field "$stats" invalid-ack-drops)|$fw2" >>"$ROWS"
done

for affinity in none flow; do
    out="$WORK/server-$affinity"
    bg_ns java -jar "$JAR" finack server --affinity "$affinity" --count "$COUNT" --lifetime "$DEADLINE" \
        --log-level warn >"$out" 2>&1
    server=$!; PIDS+=("$server")
    wait_for "$out" "server ready"
    in_ns python3 "$PY" client --connect 198.18.0.2 --port 5001 --local-port 40000 --count "$COUNT" \
        --deadline "$DEADLINE" --json >"$out.client" 2>&1 || { echo "demo-finack.sh: kernel client failed:" >&2; cat "$out.client" >&2; exit 1; }
    wait "$server" || true
    stats=$(grep 'stale-lookup-drops=' "$out")
    echo "B kernel client -> stack server|affinity $affinity|$(grep '^{' "$out.client")|$(field "$stats" stale-lookup-drops)|-|-" >>"$ROWS"
done

python3 - "$ROWS" <<'PY'
import json, sys
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1])]
head = ("scenario", "mode", "conns", "slow>500ms", "p50 ms", "p99 ms", "max ms", "stale drops", "old-conn ACKs",
        "kernel FW2")
table = [head]
for scenario, mode, figures, stale, old_acks, fw2 in rows:
    f = json.loads(figures)
    ms = lambda us: "%.1f" % (us / 1000)
    table.append((scenario, mode, str(f["count"]), str(f["slow"]), ms(f["p50_us"]), ms(f["p99_us"]),
                  ms(f["max_us"]), stale, old_acks, fw2))
widths = [max(len(r[i]) for r in table) for i in range(len(head))]
for n, r in enumerate(table):
    print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
PY
echo
echo "old-conn ACKs: the stack's new SYN was answered by an ACK of the kernel's old connection, still in"
echo "FIN-WAIT-2 (the unacceptable ACK in SYN-SENT); kernel FW2: most kernel sockets seen in FIN-WAIT-2 at"
echo "once (ss -tan, sampled every 100 ms: a FIN-WAIT-2 that the stack's RST ends within a millisecond is seldom seen)."
echo "stale drops: segments the stack dropped because their connection was replaced between lookup and lock."
echo
sed -n '/^ladder of the slowest connect/,$p' "$WORK/client-rto-init"
